// How requests come in and answers go out, for every route: the `.json`/`.yml`
// suffix, form and JSON bodies, validation through the routes' shapes, Ruby
// YAML answers, and every error in the original's error shape.

import type { IncomingMessage } from "node:http";
import type { FastifyInstance, FastifyRequest, FastifyTypeProvider } from "fastify";
import { escapeJsonControls } from "../model/control-characters.js";
import { toRubyYaml } from "../model/ruby-yaml.js";
import { parseShape, type Shape, ShapeError, type ShapeValues } from "../model/shape.js";
import { ApiError, errors } from "./errors.js";
import { forYaml } from "./views.js";

/** Lets routes declare shapes as their schemas and receive the checked values, typed. */
export interface ShapeTypeProvider extends FastifyTypeProvider {
  validator: this["schema"] extends Shape ? ShapeValues<this["schema"]> : unknown;
  serializer: this["schema"] extends Shape ? ShapeValues<this["schema"]> : unknown;
}

type Format = "json" | "yml";
const formats = new WeakMap<IncomingMessage, Format>();

export function requestFormat(req: FastifyRequest): Format {
  return formats.get(req.raw) ?? "json";
}

/** Strips a `.json`/`.yml`/`.yaml` suffix from the path, remembering it; no suffix means JSON. */
export function rewriteUrl(raw: IncomingMessage): string {
  const url = raw.url ?? "/";
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const m = /\.(json|ya?ml)$/.exec(path);
  if (!m) return url;
  formats.set(raw, m[1] === "json" ? "json" : "yml");
  return path.slice(0, -m[0].length) + (q < 0 ? "" : url.slice(q));
}

/** Form bodies as curl --data-urlencode sends them; `name[]=a&name[]=b` is a list. */
function parseForm(body: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    if (key.endsWith("[]")) {
      const name = key.slice(0, -2);
      const list = out[name];
      out[name] = Array.isArray(list) ? [...list, value] : [value];
    } else if (key in out) {
      throw errors.invalidParameter(
        `${key} is given twice; give it once (lists are sent as ${key}[]=...)`,
        key,
      );
    } else {
      out[key] = value;
    }
  }
  return out;
}

export function installPlumbing(app: FastifyInstance): void {
  // Bodies are forms or JSON; anything else is refused with 415.
  app.removeContentTypeParser("text/plain");
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.setValidatorCompiler(({ schema }) => (data: unknown) => {
    try {
      const input = data === undefined || data === null ? {} : data;
      if (typeof input !== "object" || Array.isArray(input)) {
        return { error: errors.invalidParameter("the request body must be an object of named fields") };
      }
      return { value: parseShape(schema as Shape, input as Record<string, unknown>) };
    } catch (err) {
      if (err instanceof ShapeError) {
        const make = err.kind === "missing" ? errors.undefinedRequiredParameter : errors.invalidParameter;
        return { error: make(err.message, err.field) };
      }
      throw err;
    }
  });

  app.addHook("onSend", async (req, reply, payload) => {
    if (typeof payload !== "string") return payload;
    const type = String(reply.getHeader("content-type") ?? "");
    if (!type.startsWith("application/json")) return payload;
    // Tenants' text stays text: no control character reaches a client raw.
    if (requestFormat(req) !== "yml") return escapeJsonControls(payload);
    reply.header("content-type", "text/yaml; charset=utf-8");
    return toRubyYaml(forYaml(JSON.parse(payload)));
  });

  app.setNotFoundHandler((req, reply) => {
    const e = errors.notFound(`no such API call: ${req.method} ${req.url.split("?")[0]}`);
    reply.code(e.statusCode).send(e.body());
  });

  app.setErrorHandler((err, req, reply) => {
    const e = toApiError(err);
    if (e.statusCode >= 500) req.log.error({ err }, "request failed");
    reply.code(e.statusCode).send(e.body());
  });
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const code = (err as { code?: string }).code;
  const message = (err as Error).message;
  switch (code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return errors.payloadTooLarge(`the request body is too large: at most ${bodyLimit / 1024} KiB`);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return errors.unsupportedMediaType(
        "send the body as application/x-www-form-urlencoded or application/json",
      );
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return errors.invalidParameter(`the JSON body does not parse: ${message}`);
  }
  if ((err as { statusCode?: number }).statusCode === 400) return errors.invalidParameter(message);
  return errors.internal("the server failed; the cause is in its log");
}

/** Every body's size limit: user data is 16 KiB at most, and nothing else is larger. */
export const bodyLimit = 64 * 1024;
