"""moto_server served single-threaded.

The stock moto_server is threaded and its DynamoDB is not atomic under concurrency (an
ADD can be lost). Served from one thread it is exact, at the same throughput. One thread
also means one connection at a time: a client that opens a connection and sends nothing
(HTTP clients open spare connections and park them idle) would stall every other client,
so a connection that sends no request within a second is dropped.

Usage: python3 moto_single.py HOST PORT
"""
import sys

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, run_simple


class Handler(WSGIRequestHandler):
    timeout = 1  # seconds to wait for a request on an accepted connection


if __name__ == "__main__":
    host, port = sys.argv[1], int(sys.argv[2])
    run_simple(host, port, DomainDispatcherApplication(create_backend_app),
               threaded=False, request_handler=Handler)
