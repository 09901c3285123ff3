"""The DynamoDB / Secrets Manager emulator for the tests: moto's own server, with its DynamoDB
backend made atomic.

moto serves requests on threads, and its TransactWriteItems copies each table it writes before
applying the items one by one, then puts the copy back when one fails. Between the copy and the
restore, a concurrent request's writes land in the table and are then thrown away with the restore
(and its readers see half a transaction). DynamoDB itself applies a transaction atomically and
serializes it with every other write and read of its items. Under a burst on a loaded machine the
difference shows as lost users and links; so here every call into the DynamoDB backend holds one
lock: one request at a time against the tables, as atomic as DynamoDB. Everything else (Secrets
Manager, EventBridge, SQS with its long polls) is moto as it ships.

Usage: the arguments of `moto_server` (python infra/moto-server.py -H 127.0.0.1 -p PORT).
"""

import functools
import sys
import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

_LOCK = threading.RLock()


def _atomic(method):
    @functools.wraps(method)
    def locked(*args, **kwargs):
        with _LOCK:
            return method(*args, **kwargs)

    return locked


for _name, _member in list(vars(DynamoDBBackend).items()):
    if callable(_member) and not _name.startswith("_"):
        setattr(DynamoDBBackend, _name, _atomic(_member))

if __name__ == "__main__":
    sys.exit(main())
