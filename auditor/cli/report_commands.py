"""Report and export commands (`auditor report`, `auditor roadmap export`): being written."""
