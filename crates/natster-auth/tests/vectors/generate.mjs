// Regenerates jwtjs.json: NATS JWTs issued by the independent JavaScript
// implementation (@nats-io/jwt on npm), for natster-auth's interop tests.
// Run by hand: npm install --no-save @nats-io/jwt@0.0.11 && node generate.mjs
// Only public keys and tokens are written; the keys are thrown away.
import { writeFileSync } from "node:fs";
import {
  encodeOperator, encodeAccount, encodeUser, encodeActivation,
} from "@nats-io/jwt";
import { createOperator, createAccount, createUser } from "@nats-io/nkeys";

const op = createOperator();
const opSigning = createOperator();
const sys = createAccount();
const alice = createAccount();
const aliceSigning = createAccount();
const bob = createAccount();
const user = createUser();
const now = Math.floor(Date.now() / 1000);
const pk = (k) => k.getPublicKey();

const operator = await encodeOperator("natster-vector-operator", op, {
  signing_keys: [pk(opSigning)],
  system_account: pk(sys),
  strict_signing_key_usage: true,
});
const account = await encodeAccount("alice", alice, {
  signing_keys: [pk(aliceSigning)],
  exports: [
    { name: "catalog", subject: `*.natster.catalog.${pk(alice)}.movies.>`, type: "service",
      token_req: true, response_type: "Singleton", revocations: { [pk(bob)]: now - 10 } },
    { name: "media", subject: `*.natster.media.${pk(alice)}.movies.>`, type: "stream", token_req: true },
  ],
  imports: [
    { name: "global", subject: `${pk(alice)}.natster.global.>`, account: pk(sys), type: "service" },
  ],
}, { signer: opSigning });
const userJwt = await encodeUser("alice-cli", user, aliceSigning, {
  issuer_account: pk(alice),
  pub: { allow: [`${pk(alice)}.natster.>`, "_INBOX.>"], deny: ["$SYS.>"] },
  sub: { allow: ["_INBOX.>"] },
  resp: { max: 1, ttl: 5_000_000_000 },
}, { exp: now + 3600 });
const activation = await encodeActivation("movies", bob, aliceSigning, "service", {
  subject: `${pk(bob)}.natster.catalog.${pk(alice)}.movies.>`,
  issuer_account: pk(alice),
}, { exp: now + 86400 });

const out = {
  source: "@nats-io/jwt 0.0.11 (npm), generate.mjs",
  generated_at: now,
  keys: {
    operator: pk(op), operator_signing: pk(opSigning), system: pk(sys),
    alice: pk(alice), alice_signing: pk(aliceSigning), bob: pk(bob), user: pk(user),
  },
  tokens: { operator, account, user: userJwt, activation },
};
writeFileSync(new URL("./jwtjs.json", import.meta.url), JSON.stringify(out, null, 2) + "\n");
