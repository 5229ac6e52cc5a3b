"""History and diff commands (`auditor history`, `auditor diff`): being written."""
