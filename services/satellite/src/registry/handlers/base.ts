// `GET /v2/`: tells clients this is a distribution-spec registry (end-1).
import type { Handler } from "../context.js";
import { sendJson } from "../http.js";

export const getBase: Handler = ({ res }) => sendJson(res, 200, {});
