#!/usr/bin/env node
import { checkNode } from "./check-node.js";

checkNode("vdc-manage");
await import("../dist/bin/vdc-manage/main.js");
