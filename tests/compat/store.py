"""The sandbox's store, read-only: the truth each client's writes are checked against.

    python store.py DB QUERY [ARGS...]

Queries (one answer per line on stdout):
  deleted-count, active-count     how many users are deleted / active
  state ID                        active, deleted or gone
  password-is ID PASSWORD         yes when PASSWORD is the user's stored password
  account-enabled ID              true or false
  deleted-ids [N]                 the first N deleted users by name (all without N)
  active-ids [N]                  the first N active users by name, the admin left out
  upn ID                          the user's UPN
  tenant-id                       the tenant's id
  refresh-used USER_UPN CLIENT    how many of the user's refresh tokens for CLIENT were spent
"""

import hashlib
import sqlite3
import sys


def main():
    db, what, *args = sys.argv[1:]
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    one = lambda sql, *p: c.execute(sql, p).fetchone()
    if what == "deleted-count":
        print(one("SELECT COUNT(*) FROM users WHERE deleted = 1")[0])
    elif what == "active-count":
        print(one("SELECT COUNT(*) FROM users WHERE deleted = 0")[0])
    elif what == "state":
        row = one("SELECT deleted FROM users WHERE id = ?", args[0])
        print("gone" if row is None else ("deleted" if row[0] else "active"))
    elif what == "password-is":
        row = one("SELECT password_salt, password_hash FROM users WHERE id = ?", args[0])
        d = hashlib.sha256(f"{row[0]}:{args[1]}".encode()).digest() if row and row[0] else b""
        for _ in range(1000 if d else 0):
            d = hashlib.sha256(d).digest()
        print("yes" if row and d.hex() == row[1] else "no")
    elif what == "account-enabled":
        row = one("SELECT account_enabled FROM users WHERE id = ?", args[0])
        print("true" if row and row[0] else "false")
    elif what in ("deleted-ids", "active-ids"):
        limit = int(args[0]) if args else -1
        deleted = 1 if what == "deleted-ids" else 0
        for (i,) in c.execute(
            "SELECT id FROM users WHERE deleted = ? AND upn NOT LIKE 'admin@%' "
            "ORDER BY display_name LIMIT ?", (deleted, limit)):
            print(i)
    elif what == "upn":
        print(one("SELECT upn FROM users WHERE id = ?", args[0])[0])
    elif what == "tenant-id":
        print(one("SELECT value FROM meta WHERE key = 'tenant_id'")[0])
    elif what == "refresh-used":
        print(one("SELECT COUNT(*) FROM refresh_tokens WHERE lower(upn) = lower(?) "
                  "AND client_id = ? AND used = 1", args[0], args[1])[0])
    else:
        sys.exit(f"store.py: unknown query {what!r}")


if __name__ == "__main__":
    main()
