#!/usr/bin/env node
import { checkNode } from "./check-node.js";

checkNode("auto-windows-image-build");
await import("../dist/bin/auto-windows-image-build/main.js");
