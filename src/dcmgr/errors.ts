// API errors in the original's shape: `{"error": "Dcmgr::Endpoints::Errors::Name",
// "message": ..., "code": ...}` with a 4xx status; never a stack trace. One
// about a request field adds `field`, its name, so that a client (the web
// GUI's forms) shows the message beside it without reading the message.

export class ApiError extends Error {
  constructor(
    /** The original's error class name, e.g. UnknownInstance. */
    override readonly name: string,
    readonly statusCode: number,
    /** The original's numeric code. */
    readonly code: string,
    message: string,
    /** The request field the error is about (`hostname`), where there is one. */
    readonly field?: string,
  ) {
    super(message);
  }

  body() {
    return {
      error: `Dcmgr::Endpoints::Errors::${this.name}`,
      message: this.message,
      code: this.code,
      ...(this.field !== undefined && { field: this.field }),
    };
  }
}

const define = (name: string, status: number, code: string) => (message: string, field?: string) =>
  new ApiError(name, status, code, message, field);

export const errors = {
  unknownUuid: define("UnknownUUIDResource", 404, "100"),
  invalidCredentialHeaders: define("InvalidCredentialHeaders", 400, "102"),
  invalidRequestCredentials: define("InvalidRequestCredentials", 400, "103"),
  operationNotPermitted: define("OperationNotPermitted", 403, "105"),
  unknownHostNode: define("UnknownHostNode", 404, "114"),
  unknownInstance: define("UnknownInstance", 404, "115"),
  undefinedRequiredParameter: define("UndefinedRequiredParameter", 400, "118"),
  outOfHostCapacity: define("OutOfHostCapacity", 503, "120"),
  unknownSshKeyPair: define("UnknownSshKeyPair", 404, "121"),
  invalidInstanceState: define("InvalidInstanceState", 409, "125"),
  unknownImage: define("UnknownImage", 404, "127"),
  unknownInstanceSpec: define("UnknownInstanceSpec", 404, "128"),
  unknownNetwork: define("UnknownNetwork", 404, "129"),
  outOfNetworkCapacity: define("OutOfNetworkCapacity", 503, "130"),
  unknownSecurityGroup: define("UnknownSecurityGroup", 404, "133"),
  invalidSecurityGroupRule: define("InvalidSecurityGroupRule", 400, "142"),
  invalidParameter: define("InvalidParameter", 400, "143"),
  unknownBackupObject: define("UnknownBackupObject", 404, "156"),
  existsRegisteredInstance: define("ExistsRegisteredInstance", 409, "158"),
  invalidSshPublicKey: define("InvalidSshPublicKey", 400, "173"),
  passwordNotInDatabase: define("PasswordNotInDatabase", 404, "201"),
  notFound: define("UnknownResource", 404, "404"),
  payloadTooLarge: define("PayloadTooLarge", 413, "413"),
  /** An account's live streams are at their limit (stream-quota.ts). */
  tooManyStreams: define("TooManyStreams", 429, "429"),
  /** Addressed to a name this dcmgr is not (host-header.ts). */
  misdirectedRequest: define("MisdirectedRequest", 421, "421"),
  unsupportedMediaType: define("UnsupportedMediaType", 415, "415"),
  internal: define("InternalError", 500, "500"),
  agentTimeout: define("HostAgentTimeout", 504, "504"),
  /** A host agent reported on a backup that has ended (its instance terminated meanwhile, say). */
  backupEnded: define("InvalidBackupObjectState", 409, "409"),
  /** A host agent reported on a move not of its host's instances. */
  unknownMove: define("UnknownMove", 404, "404"),
  /** A host agent's report a move does not take (it has ended, or it is not that side's to say). */
  moveEnded: define("InvalidMoveState", 409, "409"),
  /** A host agent reported from a view of the instance older than the store's. */
  outdatedInstanceRevision: define("OutdatedInstanceRevision", 409, "409"),
};
