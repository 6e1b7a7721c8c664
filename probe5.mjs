import * as lancedb from "@lancedb/lancedb";
import { rmSync, existsSync, readdirSync, cpSync } from "node:fs";
rmSync("/tmp/integ/n", { recursive: true, force: true });
cpSync("/tmp/integ/idx", "/tmp/integ/n", { recursive: true });
rmSync("/tmp/integ/n/__manifest", { recursive: true, force: true });
for (const props of [{ root: "/tmp/integ/n", manifestEnabled: false }, { root: "/tmp/integ/n", manifestEnabled: false, extraProperties: { dir_listing_enabled: "true" } }]) {
try {
const db = await lancedb.connectNamespace("dir", props, { readConsistencyInterval: 1 });
console.log(await db.tableNames(), readdirSync("/tmp/integ/n"));
const t = await db.openTable("chunks"); console.log(await t.countRows());
} catch (e) { console.log("ERR", e.message.slice(0, 300)); }
}
rmSync("/tmp/integ/n2", { recursive: true, force: true });
try { const db = await lancedb.connectNamespace("dir", { root: "/tmp/integ/n2", manifestEnabled: false }); console.log(await db.tableNames(), existsSync("/tmp/integ/n2")); } catch (e) { console.log("ERR2", e.message.slice(0, 300)); }
