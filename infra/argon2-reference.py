"""The reference Argon2id: argon2-cffi (the C implementation of the Argon2 authors) verifying a
hash of the parameters authbridge ships (m = 19 MiB, t = 2, p = 1) with a wrong password, as a
refused login does. Prints each verification in milliseconds, one a line.

    .venv/bin/python infra/argon2-reference.py [N]
"""

import sys
import time

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

# authbridge's dummy hash (shared/src/passwords/argon.rs, DUMMY_HASH).
DUMMY_HASH = "$argon2id$v=19$m=19456,t=2,p=1$V1JkLkxLQ2tnSFl1OWo1Lg$P3Z5vkzTFFBDkNOPHHQ+88EbjhaOqXFWj45fDnMpeKY"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    hasher = PasswordHasher()
    for _ in range(n):
        started = time.perf_counter()
        try:
            hasher.verify(DUMMY_HASH, "not the dummy's password")
        except VerifyMismatchError:
            pass
        print(f"{(time.perf_counter() - started) * 1000:.3f}")


if __name__ == "__main__":
    main()
