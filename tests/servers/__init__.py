"""Real servers the tests start on loopback (TCP listeners for nmap, Samba AD, API emulators, PostgreSQL).

Every module here is loaded as a pytest plugin by tests/conftest.py, so its fixtures are shared by the whole
suite.  Nothing here may listen on or send to an address outside 127.0.0.0/8 or ::1.
"""
