// An instance's console in the browser (console-desk.ts): POST
// /instances/:id/console, authorised like every user call, answers a
// one-time ticket; the page opens the WebSocket GET
// /instances/:id/console/socket?ticket=... with it (a browser's WebSocket
// cannot send the account header or a token) and speaks RFB through it.
import type { FastifyInstance } from "fastify";
import { createWebSocketStream } from "ws";
import { textField } from "../../model/fields.js";
import { noConsoleReason } from "../../model/instance-state.js";
import type { Store } from "../../store/store.js";
import type { ConsoleDesk } from "../console-desk.js";
import { errors } from "../errors.js";
import type { ShapeTypeProvider } from "../plumbing.js";
import type { StreamQuota } from "../stream-quota.js";
import { idParams, ownedInstance } from "./common.js";

/** WebSocket close codes the page tells apart (4000-4999 are the application's). */
export const consoleClose = { refused: 4403, noConsole: 4409, tooMany: 4429, noAgent: 4504 } as const;

export function consoleTicketRoute(app: FastifyInstance, store: Store, desk: ConsoleDesk): void {
  const api = app.withTypeProvider<ShapeTypeProvider>();
  api.post("/instances/:id/console", { schema: { params: idParams("instance") } }, async (req) => {
    const instance = await ownedInstance(store.db, req.params.id!, req.accountId);
    const noConsole = noConsoleReason(instance.id, instance.state);
    if (noConsole) throw errors.invalidInstanceState(noConsole);
    const { ticket, expiresInS } = await desk.issue(instance.id);
    return {
      id: instance.id,
      ticket,
      expires_in: expiresInS,
      socket: `${app.prefix}/instances/${instance.id}/console/socket?ticket=${ticket}`,
    };
  });
}

const socketShape = {
  ticket: {
    field: textField({ max: 128 }),
    desc: "the ticket POST /instances/:id/console gave",
    required: true,
  },
};

export function consoleSocketRoute(
  app: FastifyInstance,
  store: Store,
  desk: ConsoleDesk,
  quota: StreamQuota,
): void {
  const api = app.withTypeProvider<ShapeTypeProvider>();
  api.get(
    "/instances/:id/console/socket",
    { websocket: true, schema: { params: idParams("instance"), querystring: socketShape } },
    async (socket, req) => {
      // At once, before anything is awaited: a message that comes before a listener does is lost.
      const stream = createWebSocketStream(socket);
      stream.on("error", () => stream.destroy());
      const id = req.params.id!;
      if (!(await desk.redeem(req.query.ticket!, id))) {
        socket.close(
          consoleClose.refused,
          "the console ticket is unknown, used or expired: open the console again",
        );
        return;
      }
      // The instance may have stopped since the ticket was issued.
      const instance = await store.db
        .selectFrom("instances")
        .select(["state", "account_id"])
        .where("id", "=", id)
        .executeTakeFirst();
      const noConsole = instance ? noConsoleReason(id, instance.state) : `${id} does not exist`;
      if (noConsole) {
        socket.close(consoleClose.noConsole, noConsole.slice(0, 120));
        return;
      }
      const release = quota.take(instance!.account_id);
      if (!release) {
        socket.close(consoleClose.tooMany, "this account has too many live streams open: close one");
        return;
      }
      socket.once("close", release);
      await desk.wait(id, socket, stream, () =>
        socket.close(consoleClose.noAgent, "the host agent did not open the console: is its hva running?"),
      );
    },
  );
}
