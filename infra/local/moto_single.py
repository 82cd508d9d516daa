"""moto_server served single-threaded.

The stock moto_server is threaded and its DynamoDB is not atomic under concurrency (an
ADD can be lost). Served from one thread it is exact, at the same throughput. Usage:
python3 moto_single.py HOST PORT
"""
import sys

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

if __name__ == "__main__":
    host, port = sys.argv[1], int(sys.argv[2])
    run_simple(host, port, DomainDispatcherApplication(create_backend_app), threaded=False)
