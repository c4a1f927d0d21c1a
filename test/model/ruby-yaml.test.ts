import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { toRubyYaml } from "../../src/model/ruby-yaml.js";

test("hashes become symbol keys, one a line, readable by grep and awk", () => {
  const text = toRubyYaml({ id: "i-czulsyoj", state: "running", vif: [{ ipv4: { address: "10.0.2.100" } }] });
  assert.match(text, /^---\n:id: i-czulsyoj\n:state: running\n/);
  const line = text.split("\n").find((l) => /(^|\s):address:/.test(l))!;
  assert.equal(line.trim().split(/\s+/)[1], "10.0.2.100");
});

test("the encrypted password is the last key, a | block wrapped at 60 columns", () => {
  const blob = Buffer.alloc(256, 7).toString("base64");
  const text = toRubyYaml({ id: "i-czulsyoj", encrypted_password: blob });
  const [, block] = text.split(":encrypted_password: |\n");
  const lines = block!.trimEnd().split("\n");
  assert.ok(lines.every((l) => l.startsWith("  ") && l.trim().length <= 60));
  assert.equal(lines.map((l) => l.trim()).join(""), blob);
  // What the original shell client did: cut after the marker, strip spaces, base64 -d.
  const afterMarker = text.slice(text.indexOf(":encrypted_password: |") + ":encrypted_password: |".length);
  assert.equal(Buffer.from(afterMarker.replace(/\s/g, ""), "base64").length, 256);
});

test("every value reads back the same through a YAML parser", () => {
  const value = {
    id: "i-1",
    n: 32212254720,
    yes: true,
    nothing: null,
    text: "a: b # not a comment",
    number_like: "0123",
    bool_like: "yes",
    date_like: "2026-11-24T06:44:05.605Z",
    multi: "line one\nline two",
    empty: "",
    list: [],
    hash: {},
    nested: [{ a: 1, b: [1, 2] }, "x"],
  };
  const back = parse(toRubyYaml(value)) as Record<string, unknown>;
  const expected = Object.fromEntries(Object.entries(value).map(([k, v]) => [`:${k}`, v]));
  const normalize = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(normalize)
      : v && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/^:/, ""), normalize(x)]))
        : v;
  assert.deepEqual(normalize(back), normalize(expected));
});

test("control characters a tenant put in a name are escaped: valid YAML, no raw escape sequence, the same text back", () => {
  const hostile = {
    display_name: "web\u001b[2J\u001b]0;pwned\u0007",
    description: "csi\u009b2J del\u007f nul\u0000",
  };
  const text = toRubyYaml(hostile);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    assert.ok(
      code === 10 || (code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code <= 0x9f)),
      `raw ${code}`,
    );
  }
  const back = parse(text, { strict: true }) as Record<string, string>;
  assert.equal(back[":display_name"], hostile.display_name);
  assert.equal(back[":description"], hostile.description);
});
