"""MSAL for Python against the undelete sandbox, unchanged, with its default authority host.

Run by tests/compat/run inside its private namespace (login.microsoftonline.com and
graph.microsoft.com are the sandbox, its CA trusted). Prints `ok   msal NAME` or
`FAIL msal NAME: why` per call, then `msal: done`; each call is checked against the sandbox's
store (tests/compat/store.py), not only its status.

Environment: SANDBOX_DB, CLIENT_ID, CLIENT_SECRET, TENANT, ADMIN, CERT_PEM (the trusted
certificate with its private key).
"""

import os
import subprocess
import sys
import traceback

import msal
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

HERE = os.path.dirname(os.path.abspath(__file__))
AUTHORITY = f"https://login.microsoftonline.com/{os.environ['TENANT']}"
GRAPH = "https://graph.microsoft.com/v1.0"
CLIENT_ID = os.environ["CLIENT_ID"]
ADMIN = os.environ["ADMIN"]


def store(*args):
    out = subprocess.run([sys.executable, os.path.join(HERE, "store.py"),
                          os.environ["SANDBOX_DB"], *args],
                         check=True, capture_output=True, text=True).stdout
    return out.strip()


def report(name, error=None):
    if error is None:
        print(f"ok   msal {name}", flush=True)
    else:
        print(f"FAIL msal {name}: {error}", flush=True)


def step(name, fn):
    try:
        why = fn()
        report(name, why)
    except Exception as e:  # a client failure is a result to report, not a crash
        report(name, f"{type(e).__name__}: {e} {traceback.format_exc(limit=2)[-300:]}")


def token_or_raise(result):
    if "access_token" not in result:
        raise RuntimeError(f"{result.get('error')}: {result.get('error_description', '')[:300]}")
    return result["access_token"]


def graph_get(token, path):
    r = requests.get(f"{GRAPH}/{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    if r.status_code != 200:
        raise RuntimeError(f"GET {path}: {r.status_code} {r.text[:300]}")
    return r.json()


def main():
    graph_default = ["https://graph.microsoft.com/.default"]

    def client_credentials():
        app = msal.ConfidentialClientApplication(
            CLIENT_ID, client_credential=os.environ["CLIENT_SECRET"], authority=AUTHORITY)
        token = token_or_raise(app.acquire_token_for_client(scopes=graph_default))
        users = graph_get(token, "users?$top=999&$select=id")["value"]
        want = int(store("active-count"))
        if len(users) != want:
            return f"{len(users)} users listed, the store has {want} active"
        return None

    step("client credentials (secret), then every active user", client_credentials)

    with open(os.environ["CERT_PEM"], "rb") as f:
        pem = f.read()
    cert = x509.load_pem_x509_certificate(pem)
    key = serialization.load_pem_private_key(pem, password=None)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    sha1 = cert.fingerprint(hashes.SHA1()).hex()

    def certificate(credential):
        def run():
            app = msal.ConfidentialClientApplication(
                CLIENT_ID, client_credential=credential, authority=AUTHORITY)
            token = token_or_raise(app.acquire_token_for_client(scopes=graph_default))
            org = graph_get(token, "organization")["value"][0]
            if org["id"] != store("tenant-id"):
                return f"/organization answered tenant {org['id']}"
            return None
        return run

    # RS256 with the SHA-1 `x5t` (padded, as MSAL for Python writes it).
    step("certificate by SHA-1 thumbprint", certificate({"private_key": key_pem,
                                                         "thumbprint": sha1}))
    # With the public certificate: MSAL signs PS256 with `x5t#S256`.
    step("certificate with its public certificate",
         certificate({"private_key": key_pem, "public_certificate": cert_pem}))

    public = msal.PublicClientApplication(CLIENT_ID, authority=AUTHORITY)
    scopes = ["User.Read.All"]
    state = {}

    def device_flow():
        flow = public.initiate_device_flow(scopes=scopes)
        if "user_code" not in flow:
            return f"no device code: {flow}"
        if not flow.get("verification_uri", "").startswith("https://login.microsoftonline.com/"):
            return f"verification_uri {flow.get('verification_uri')} is not on the login host"
        result = public.acquire_token_by_device_flow(flow)
        state["first"] = token_or_raise(result)
        who = result.get("id_token_claims", {}).get("preferred_username")
        me = graph_get(state["first"], "me")["userPrincipalName"]
        if who != ADMIN or me != ADMIN:
            return f"signed in as {who}, /me is {me}"
        return None

    step("device flow (approved by the sandbox), then /me", device_flow)

    def silent():
        accounts = public.get_accounts(username=ADMIN)
        if not accounts:
            return "no account in the cache"
        result = public.acquire_token_silent(scopes, account=accounts[0])
        if result is None or result.get("access_token") != state.get("first"):
            return "the cached token did not come back"
        return None

    step("silent (from the cache)", silent)

    def refresh():
        used = int(store("refresh-used", ADMIN, CLIENT_ID))
        accounts = public.get_accounts(username=ADMIN)
        result = public.acquire_token_silent(scopes, account=accounts[0], force_refresh=True)
        token = token_or_raise(result or {})
        if token == state.get("first"):
            return "force_refresh gave the same token"
        if int(store("refresh-used", ADMIN, CLIENT_ID)) != used + 1:
            return "the store shows no refresh token spent"
        if graph_get(token, "me")["userPrincipalName"] != ADMIN:
            return "the refreshed token is not the admin's"
        return None

    step("refresh (a refresh token spent and rotated)", refresh)

    def password():
        result = public.acquire_token_by_username_password(
            ADMIN, os.environ["CLIENT_SECRET"], scopes=scopes)
        token = token_or_raise(result)
        if graph_get(token, "me")["userPrincipalName"] != ADMIN:
            return "/me is not the admin"
        return None

    step("username and password (ROPC)", password)
    print("msal: done", flush=True)


if __name__ == "__main__":
    main()
