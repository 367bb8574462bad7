"""Shared by the package test's loopback TLS servers (tls_test_server.py)."""
import os
import signal
import sys


def serve_until_terminated(server, port_file=None):
    """Publish the bound port atomically (for the shell script waiting on it), then serve until SIGTERM."""
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # unwinds serve_forever
    if port_file:
        with open(port_file + ".tmp", "w") as handle:
            handle.write(str(server.server_address[1]))
        os.replace(port_file + ".tmp", port_file)
    try:
        server.serve_forever(poll_interval=0.1)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
