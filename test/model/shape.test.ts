// A refused input names its field twice: in the message, as the caller writes
// it, and in `field`, as the shape keys it (what an API error carries).
import assert from "node:assert/strict";
import { test } from "node:test";
import { intField, textField } from "../../src/model/fields.js";
import { parseShape, ShapeError } from "../../src/model/shape.js";

const shape = {
  cpu_cores: { field: intField(), desc: "cpu cores", required: true },
  display_name: { field: textField({ max: 5 }), desc: "display name" },
};
const option = (key: string) => `--${key.replaceAll("_", "-")}`;

test("a shape error carries the field's key, whatever the caller calls it", () => {
  const cases: [Record<string, unknown>, ShapeError["kind"], string, RegExp][] = [
    [{}, "missing", "cpu_cores", /^--cpu-cores is required/],
    [{ cpu_cores: "0" }, "value", "cpu_cores", /^--cpu-cores: '0' is too small/],
    [{ cpu_cores: "1", display_name: "longer" }, "value", "display_name", /^--display-name: is 6 characters/],
    [{ cpu_cores: "1", colour: "blue" }, "unknown", "colour", /^unknown field --colour/],
  ];
  for (const [raw, kind, field, message] of cases) {
    assert.throws(
      () => parseShape(shape, raw, option),
      (err) =>
        err instanceof ShapeError && err.kind === kind && err.field === field && message.test(err.message),
      JSON.stringify(raw),
    );
  }
  assert.deepEqual(parseShape(shape, { cpu_cores: "2" }, option), { cpu_cores: 2, display_name: undefined });
});
