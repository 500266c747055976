/** The node agent's public surface: start one in-process, or run `balsa agent`. */
export { AGENT_COMPONENT, AGENT_VERSION, startAgent } from './node-agent.js';
export type { Agent, AgentOptions, StopOptions } from './node-agent.js';
export { AGENT_USAGE, defaultRuntimeFactory, runAgentCommand } from './cli/agent-command.js';
export type { AgentCommandDependencies, RuntimeFactory } from './cli/agent-command.js';
export { AgentError } from './errors.js';
export type { AgentErrorCode } from './errors.js';
