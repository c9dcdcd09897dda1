// Reads Argdown on stdin with Argdown's own parser and prints its statements, arguments and relations as JSON.
import { ArgdownApplication, ParserPlugin, DataPlugin, ModelPlugin } from "@argdown/core";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const app = new ArgdownApplication();
app.addPlugin(new ParserPlugin(), "parse-input");
app.addPlugin(new DataPlugin(), "build-model");
app.addPlugin(new ModelPlugin(), "build-model");
const result = app.run({ process: ["parse-input", "build-model"], input: Buffer.concat(chunks).toString("utf8") });
const relations = [];
for (const [title, statement] of Object.entries(result.statements)) {
  for (const r of statement.relations) relations.push([r.from.title, r.relationType, r.to.title]);
}
for (const [title, argument] of Object.entries(result.arguments)) {
  for (const r of argument.relations) relations.push([r.from.title, r.relationType, r.to.title]);
}
const out = {
  errors: [...(result.lexerErrors || []), ...(result.parserErrors || [])].map((e) => String(e.message)),
  frontMatter: result.frontMatter || null,
  statements: Object.fromEntries(Object.entries(result.statements).map(([t, s]) => [t, {
    text: s.members.length ? s.members[s.members.length - 1].text : "", tags: s.tags || [] }])),
  arguments: Object.fromEntries(Object.entries(result.arguments).map(([t, a]) => [t, {
    text: a.members.length ? a.members[a.members.length - 1].text : "" }])),
  relations,
};
process.stdout.write(JSON.stringify(out));
