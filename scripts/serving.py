"""Shared by the loopback test servers (tls_test_server.py, api_keys_server.py, moto_admin.py serve)."""
import os
import signal
import sys
import threading
import time


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


def watch_parent():
    """Exit when the process that started this server dies, so a killed test run leaves no server behind."""
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(0)
    threading.Thread(target=watch, daemon=True).start()
