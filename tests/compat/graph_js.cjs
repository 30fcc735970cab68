// The Microsoft Graph JavaScript client (@microsoft/microsoft-graph-client) with
// @azure/identity against the undelete sandbox, unchanged, with their default hosts.
//
// Run by tests/compat/run inside its private namespace (graph.microsoft.com and
// login.microsoftonline.com are the sandbox; NODE_EXTRA_CA_CERTS trusts its CA), with
// NODE_PATH naming the installed packages. Prints `ok   js NAME` or `FAIL js NAME: why` per
// call, then `js: done`; each call is checked against the sandbox's store (store.py).
//
// Environment: SANDBOX_DB, PYTHON, CLIENT_ID, CLIENT_SECRET, TENANT, ADMIN, CERT_PEM.
"use strict";

const path = require("path");
const { execFileSync } = require("child_process");
const {
  ClientSecretCredential,
  ClientCertificateCredential,
  DeviceCodeCredential,
} = require("@azure/identity");
const {
  Client,
  PageIterator,
  BatchRequestContent,
  BatchResponseContent,
} = require("@microsoft/microsoft-graph-client");
const {
  TokenCredentialAuthenticationProvider,
} = require("@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials");

const env = process.env;
const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

function store(...args) {
  return execFileSync(env.PYTHON, [path.join(__dirname, "store.py"), env.SANDBOX_DB, ...args])
    .toString()
    .trim();
}

function report(name, why) {
  if (why) console.log(`FAIL js ${name}: ${String(why).slice(0, 600).replace(/\n/g, " ")}`);
  else console.log(`ok   js ${name}`);
}

async function step(name, fn) {
  try {
    report(name, await fn());
  } catch (e) {
    report(name, `${e && e.name}: ${e && (e.message || e.body || e)}`);
  }
}

function client(credential) {
  const authProvider = new TokenCredentialAuthenticationProvider(credential, {
    scopes: [GRAPH_SCOPE],
  });
  return Client.initWithMiddleware({ authProvider });
}

async function main() {
  const secret = client(new ClientSecretCredential(env.TENANT, env.CLIENT_ID, env.CLIENT_SECRET));

  await step("client secret, then /organization", async () => {
    const org = await secret.api("/organization").get();
    const tid = store("tenant-id");
    if (org.value[0].id !== tid) return `tenant ${org.value[0].id}, the store says ${tid}`;
  });

  await step("PageIterator over every deleted user", async () => {
    const first = await secret.api("/directory/deletedItems/microsoft.graph.user").top(25).get();
    const ids = new Set();
    const it = new PageIterator(secret, first, (u) => {
      ids.add(u.id);
      return true;
    });
    await it.iterate();
    const want = Number(store("deleted-count"));
    if (ids.size !== want) return `${ids.size} users paged, the store has ${want} deleted`;
  });

  await step("certificate, 20 fresh credentials in a row", async () => {
    const tid = store("tenant-id");
    const failures = [];
    for (let i = 0; i < 20; i++) {
      const cred = new ClientCertificateCredential(env.TENANT, env.CLIENT_ID, {
        certificatePath: env.CERT_PEM,
      });
      try {
        const org = await client(cred).api("/organization").get();
        if (org.value[0].id !== tid) failures.push(`#${i}: tenant ${org.value[0].id}`);
      } catch (e) {
        failures.push(`#${i}: ${e.message}`);
      }
    }
    if (failures.length) return `${failures.length} of 20 failed: ${failures.slice(0, 2).join("; ")}`;
  });

  await step("device code (approved by the sandbox), then /me", async () => {
    let prompt;
    const cred = new DeviceCodeCredential({
      tenantId: env.TENANT,
      clientId: env.CLIENT_ID,
      userPromptCallback: (info) => {
        prompt = info;
      },
    });
    const me = await client(cred).api("/me").get();
    if (me.userPrincipalName !== env.ADMIN) return `/me is ${me.userPrincipalName}`;
    if (!prompt || !String(prompt.verificationUri).startsWith("https://login.microsoftonline.com/"))
      return `verification URI ${prompt && prompt.verificationUri} is not on the login host`;
  });

  await step("$batch: a read, then a dependent write", async () => {
    const id = store("active-ids", "3").split("\n")[2];
    const base = "https://graph.microsoft.com/v1.0";
    const batch = new BatchRequestContent([
      { id: "1", request: new Request(`${base}/users/${id}`, { method: "GET" }) },
      {
        id: "2",
        request: new Request(`${base}/users/${id}`, {
          method: "PATCH",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ accountEnabled: false }),
        }),
        dependsOn: ["1"],
      },
    ]);
    const raw = await secret.api("/$batch").post(await batch.getContent());
    const reply = new BatchResponseContent(raw);
    const read = reply.getResponseById("1");
    const write = reply.getResponseById("2");
    if (read.status !== 200 || write.status !== 204) return `statuses ${read.status}, ${write.status}`;
    // BatchResponseContent wraps a JSON body as text "[object Object]": the raw reply is read.
    const body = raw.responses.find((r) => r.id === "1").body;
    if (body.id !== id) return `the read answered ${body.id}`;
    if (store("account-enabled", id) !== "false") return "the store still has the account enabled";
  });

  await step("delta: every active user, then a deltaLink", async () => {
    let url = "/users/delta";
    const ids = new Set();
    for (let round = 0; round < 100; round++) {
      const page = await secret.api(url).get();
      page.value.forEach((u) => ids.add(u.id));
      if (page["@odata.nextLink"]) {
        url = page["@odata.nextLink"];
        continue;
      }
      if (!page["@odata.deltaLink"]) return "the last page has no deltaLink";
      const want = Number(store("active-count"));
      if (ids.size !== want) return `${ids.size} users in the round, the store has ${want} active`;
      return undefined;
    }
    return "the round never ended";
  });

  console.log("js: done");
}

main().catch((e) => {
  console.log(`FAIL js crashed: ${e && e.stack}`);
});
