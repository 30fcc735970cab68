"""The Microsoft Graph Python SDK (msgraph-sdk + azure-identity) against the undelete sandbox.

Run by tests/compat/run inside its private mount namespace, where graph.microsoft.com and
login.microsoftonline.com are the sandbox and its CA is trusted: the SDK runs unchanged, with
its default URLs. Prints one line per call (`ok NAME` or `FAIL NAME: why`) and checks the
sandbox's state after each write, reading its store (SANDBOX_DB) read-only.

Environment: SANDBOX_DB, CLIENT_ID, CLIENT_SECRET, TENANT, SENDER (a mailbox to send as),
PASSWORD (a password to set), IDENTITY_ENDPOINT and IDENTITY_HEADER (the sandbox's
managed-identity endpoint and its secret), CERT_PEM (a certificate the sandbox trusts, with
its key).
"""

import asyncio
import hashlib
import os
import sqlite3
import sys
import traceback

from azure.identity.aio import (
    CertificateCredential,
    ClientSecretCredential,
    ManagedIdentityCredential,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.directory.deleted_items.graph_user.graph_user_request_builder import (
    GraphUserRequestBuilder,
)
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.message import Message
from msgraph.generated.models.password_profile import PasswordProfile
from msgraph.generated.models.recipient import Recipient
from msgraph.generated.models.user import User
from msgraph.generated.users.item.send_mail.send_mail_post_request_body import (
    SendMailPostRequestBody,
)
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem
from msgraph_core.tasks.page_iterator import PageIterator

PASSED = 0
FAILED = 0


def report(name, error=None):
    global PASSED, FAILED
    if error is None:
        PASSED += 1
        print(f"ok   python {name}", flush=True)
    else:
        FAILED += 1
        print(f"FAIL python {name}: {error}", flush=True)


def db():
    return sqlite3.connect(f"file:{os.environ['SANDBOX_DB']}?mode=ro", uri=True)


def store_deleted_count():
    with db() as c:
        return c.execute("SELECT COUNT(*) FROM users WHERE deleted = 1").fetchone()[0]


def store_user(user_id):
    """(deleted, salt, hash) of a user in the store, or None when it is gone."""
    with db() as c:
        return c.execute(
            "SELECT deleted, password_salt, password_hash FROM users WHERE id = ?", (user_id,)
        ).fetchone()


def password_hash(salt, password):
    # The sandbox's scheme (crates/sandbox/src/policy.rs): SHA-256 of "salt:password", 1000 rounds more.
    digest = hashlib.sha256(f"{salt}:{password}".encode()).digest()
    for _ in range(1000):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()


def outbox_subjects():
    with db() as c:
        cols = [r[1] for r in c.execute("PRAGMA table_info(outbox)")]
        col = "subject" if "subject" in cols else cols[-1]
        return [r[0] for r in c.execute(f"SELECT {col} FROM outbox")]


async def step(name, coro):
    try:
        result = await coro
        report(name)
        return result
    except Exception as e:  # noqa: BLE001 - every failure is one report line
        detail = getattr(e, "error", None)
        msg = getattr(detail, "message", None) or str(e) or type(e).__name__
        report(name, f"{type(e).__name__}: {msg}")
        if os.environ.get("COMPAT_VERBOSE"):
            traceback.print_exc()
        return None


def check(name, ok, why):
    report(name, None if ok else why)


async def main():
    credential = ClientSecretCredential(
        tenant_id=os.environ["TENANT"],
        client_id=os.environ["CLIENT_ID"],
        client_secret=os.environ["CLIENT_SECRET"],
    )
    client = GraphServiceClient(credentials=credential, scopes=["https://graph.microsoft.com/.default"])
    expected = store_deleted_count()

    # Every deleted user, page by page (small pages, so the iterator follows many nextLinks).
    query = GraphUserRequestBuilder.GraphUserRequestBuilderGetQueryParameters(
        top=25, select=["id", "displayName", "userPrincipalName", "deletedDateTime"]
    )
    first = await step(
        "deletedItems list (first page)",
        client.directory.deleted_items.graph_user.get(
            request_configuration=RequestConfiguration(query_parameters=query)
        ),
    )
    ids = []
    if first is not None:

        def collect(user):
            ids.append(user.id if hasattr(user, "id") else user.get("id"))
            return True

        async def iterate():
            it = PageIterator(first, client.request_adapter)
            await it.iterate(collect)

        await step("PageIterator over every page", iterate())
        check(
            "PageIterator saw every deleted user",
            len(ids) == expected and len(set(ids)) == expected,
            f"saw {len(ids)} ({len(set(ids))} distinct), the store has {expected}",
        )

    config = RequestConfiguration()
    config.headers.add("ConsistencyLevel", "eventual")
    count = await step(
        "deletedItems/microsoft.graph.user/$count",
        client.directory.deleted_items.graph_user.count.get(request_configuration=config),
    )
    if count is not None:
        check("count matches the store", count == expected, f"count {count}, store {expected}")

    if not ids:
        report("restore", "no deleted user to restore")
        return
    # A user whose name is free (the first that restores; conflicts answer 400 by design).
    restored = None
    for candidate in ids[:20]:
        try:
            await client.directory.deleted_items.by_directory_object_id(candidate).restore.post()
            restored = candidate
            break
        except Exception:  # noqa: BLE001 - a conflicting user: try the next
            continue
    check("restore", restored is not None, "no user among the first 20 could be restored")
    if restored is None:
        return
    row = store_user(restored)
    check("restore: user is active in the store", row is not None and row[0] == 0, f"store row {row}")

    password = os.environ["PASSWORD"]
    await step(
        "PATCH users/{id} passwordProfile",
        client.users.by_user_id(restored).patch(
            User(
                password_profile=PasswordProfile(
                    password=password, force_change_password_next_sign_in=True
                )
            )
        ),
    )
    row = store_user(restored)
    check(
        "password hash in the store",
        row is not None and row[1] is not None and password_hash(row[1], password) == row[2],
        "the stored hash is not the password's",
    )

    subject = f"compat python {os.getpid()}"
    body = SendMailPostRequestBody(
        message=Message(
            subject=subject,
            body=ItemBody(content_type=BodyType.Text, content="Your account is back."),
            to_recipients=[Recipient(email_address=EmailAddress(address=os.environ["SENDER"]))],
        ),
        save_to_sent_items=False,
    )
    await step(
        "users/{sender}/sendMail",
        client.users.by_user_id(os.environ["SENDER"]).send_mail.post(body),
    )
    check("mail in the outbox", subject in outbox_subjects(), "the outbox has no such subject")

    # Three requests in one $batch: two reads and a restore.
    async def batch():
        items = [
            BatchRequestItem(request_information=client.users.by_user_id(restored).to_get_request_information()),
            BatchRequestItem(request_information=client.domains.to_get_request_information()),
            BatchRequestItem(
                request_information=client.directory.deleted_items.by_directory_object_id(
                    ids[-1]
                ).to_get_request_information()
            ),
        ]
        content = BatchRequestContent({item.id: item for item in items})
        response = await client.batch.post(batch_request_content=content)
        statuses = [response.get_response_by_id(item.id).status for item in items]
        if statuses != [200, 200, 200]:
            raise RuntimeError(f"inner statuses {statuses}, expected [200, 200, 200]")
        return statuses

    await step("$batch of three requests", batch())
    await credential.close()

    # App Service's managed identity (IDENTITY_ENDPOINT + IDENTITY_HEADER, set by the caller).
    identity = ManagedIdentityCredential()
    as_machine = GraphServiceClient(
        credentials=identity, scopes=["https://graph.microsoft.com/.default"]
    )
    me = await step(
        "ManagedIdentityCredential, then users/{sender}",
        as_machine.users.by_user_id(os.environ["SENDER"]).get(),
    )
    if me is not None:
        check(
            "managed identity read the sender",
            (me.user_principal_name or "").lower() == os.environ["SENDER"].lower(),
            f"got {me.user_principal_name}",
        )
    await identity.close()

    # azure-identity's CertificateCredential signs with MSAL for Python: a padded thumbprint,
    # fractional times, no `nbf` (issue 24); Entra takes that, and so must the sandbox.
    if os.environ.get("CERT_PEM"):
        cert = CertificateCredential(
            os.environ["TENANT"], os.environ["CLIENT_ID"], certificate_path=os.environ["CERT_PEM"]
        )
        with_cert = GraphServiceClient(
            credentials=cert, scopes=["https://graph.microsoft.com/.default"]
        )
        org = await step("CertificateCredential, then organization", with_cert.organization.get())
        if org is not None:
            with db() as c:
                tid = c.execute("SELECT value FROM meta WHERE key = 'tenant_id'").fetchone()[0]
            check(
                "the certificate's token reads the store's tenant",
                org.value[0].id == tid,
                f"got {org.value[0].id}, the store has {tid}",
            )
        await cert.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as e:  # noqa: BLE001
        report("run", f"{type(e).__name__}: {e}")
    print(f"python: {PASSED} passed, {FAILED} failed", flush=True)
    sys.exit(1 if FAILED else 0)
