// The process helpers live in the test kit (the quickstart uses them too).
export { REPO_ROOT, GiveUp, eventually, startProcess, waitForHttp } from "@harbor-satellite/testkit/processes";
export type { RunningProcess } from "@harbor-satellite/testkit/processes";
