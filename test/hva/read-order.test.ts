// Which reads of dcmgr may decide for an instance: one begun before the
// agent's last action on it ended may not, nor any while it is acted on.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ReadOrder } from "../../src/hva/read-order.js";

test("a read begun before an action on the instance ended does not decide for it; a later read does", () => {
  const order = new ReadOrder();
  const early = order.beginRead();
  order.take("i-a");
  assert.equal(order.shows("i-a", early), false, "acted on now");
  assert.equal(order.shows("i-b", early), true, "another instance is not held up");
  order.release("i-a", true);
  assert.equal(order.shows("i-a", early), false, "acted on since the read began");
  const late = order.beginRead();
  assert.equal(order.shows("i-a", late), true);
  order.endRead(early);
  order.endRead(late);
});

test("a pass that took the instance and did nothing leaves every read good for it", () => {
  const order = new ReadOrder();
  const read = order.beginRead();
  order.take("i-a");
  order.release("i-a", false);
  assert.equal(order.shows("i-a", read), true);
});

test("ending one read does not make another, older than the action, good for the instance", () => {
  const order = new ReadOrder();
  const first = order.beginRead();
  order.take("i-a");
  order.release("i-a", true);
  const second = order.beginRead();
  // The second read ends first: the action is still newer than the first read, which must not forget it.
  order.endRead(second);
  assert.equal(order.shows("i-a", first), false);
  order.endRead(first);
  const third = order.beginRead();
  assert.equal(order.shows("i-a", third), true);
});
