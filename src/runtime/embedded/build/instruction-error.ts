/** A line that cannot be an instruction; the message is the detail that follows `file:line:`. */
export class InstructionError extends Error {}
