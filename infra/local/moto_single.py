"""moto_server served single-threaded, with cheap DynamoDB transactions.

The stock moto_server is threaded and its DynamoDB is not atomic under concurrency (an
ADD can be lost). Served from one thread it is exact, at the same throughput. One thread
also means one connection at a time: a client that opens a connection and sends nothing
(HTTP clients open spare connections and park them idle) would stall every other client,
so a connection that sends no request within a second is dropped.

moto makes each TransactWriteItems undoable by deep-copying every table it touches,
stream records included: a transaction's cost grows with the table (0.2 s at 1,600
items), so a long run slows to a crawl. Here a transaction saves only the items it
names and the length of the table's stream, and a cancelled one puts those back: the
same all-or-nothing result, at a cost that does not grow. Queries are narrowed likewise
(see query below).

The messages SES accepted are served at GET /solidarity/ses/sent (JSON, in the shape of
moto's /moto-api/data.json "ses" part): data.json serializes every model moto holds,
every DynamoDB item included, and grows slow as the tests fill the tables.

Usage: python3 moto_single.py HOST PORT
"""
import copy
import json
import sys

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, run_simple


class _TableKeepingCopy:
    """The copy module as moto's DynamoDB backend sees it: a table is not copied (the
    transaction below saves what it needs); everything else is."""

    @staticmethod
    def deepcopy(obj, memo=None):
        if isinstance(obj, Table):
            return obj
        return copy.deepcopy(obj, memo)


dynamodb_models.copy = _TableKeepingCopy
_transact_write_items = DynamoDBBackend.transact_write_items


def _key(table, attrs):
    if table.hash_key_attr not in attrs:
        return None
    hash_value = DynamoType(attrs[table.hash_key_attr])
    range_value = None
    if table.range_key_attr is not None:
        if table.range_key_attr not in attrs:
            return None
        range_value = DynamoType(attrs[table.range_key_attr])
    return hash_value, range_value


def _restore(table, hash_value, range_value, item):
    if range_value is not None:
        if item is None:
            table.items[hash_value].pop(range_value, None)
        else:
            table.items[hash_value][range_value] = item
    elif item is None:
        table.items.pop(hash_value, None)
    else:
        table.items[hash_value] = item


def transact_write_items(self, transact_items):
    saved, streams = [], {}
    for entry in transact_items:
        for _, op in entry.items():
            table = self.tables.get(op.get("TableName", ""))
            if table is None:
                continue
            key = _key(table, op.get("Item") or op.get("Key") or {})
            if key is None:
                continue
            try:
                item = table.get_item(*key)
            except Exception:  # an invalid key: moto's own checks refuse the transaction
                continue
            saved.append((table, key[0], key[1], copy.deepcopy(item)))
            if table.stream_shard is not None:
                streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
    try:
        return _transact_write_items(self, transact_items)
    except Exception:
        for table, hash_value, range_value, item in reversed(saved):
            _restore(table, hash_value, range_value, item)
        for shard, length in streams.values():
            del shard.items[length:]
        raise


DynamoDBBackend.transact_write_items = transact_write_items

# moto answers every Query by listing and sorting the whole table (all_items), then
# keeping the items whose key matches: a query's cost grows with the table. A query on
# the table's own key needs only that key's items; a query on an index, every item, but
# unsorted (moto sorts the matches afterwards either way).
_query = Table.query


def query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
          scan_index_forward, projection_expressions, index_name=None, *args, **kwargs):
    if index_name is None and hash_key is not None and self.range_key_attr is not None:
        candidates = list(self.items[hash_key].values()) if hash_key in self.items else []
    elif self.range_key_attr is not None:
        candidates = [item for bucket in self.items.values() for item in bucket.values()]
    else:
        candidates = list(self.items.values())
    self.all_items = lambda: candidates
    try:
        return _query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                      scan_index_forward, projection_expressions, index_name, *args, **kwargs)
    finally:
        del self.all_items


Table.query = query


def _sent_messages():
    from moto.ses.models import Message, ses_backends

    out = []
    for account in list(ses_backends.keys()):
        regions = ses_backends[account]
        for region in list(regions.keys()):
            for m in regions[region].sent_messages:
                if isinstance(m, Message):
                    out.append({"source": m.source, "subject": m.subject, "body": m.body,
                                "destinations": m.destinations})
    return {"ses": {"Message": out}}


class App:
    """moto's application, with the SES messages it accepted at SENT_PATH."""

    SENT_PATH = "/solidarity/ses/sent"

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == self.SENT_PATH and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps(_sent_messages()).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)


class Handler(WSGIRequestHandler):
    timeout = 1  # seconds to wait for a request on an accepted connection


if __name__ == "__main__":
    host, port = sys.argv[1], int(sys.argv[2])
    run_simple(host, port, App(DomainDispatcherApplication(create_backend_app)),
               threaded=False, request_handler=Handler)
