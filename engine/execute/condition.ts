// Evaluates a condition task: numbers compare as numbers when both operands
// look like numbers, otherwise the operands compare as text.
import type { ConditionOp, TaskBody } from '../spec/model.js';
import { renderWithScope, type ReferenceScope } from './references.js';

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

export function evaluateCondition(left: string, op: ConditionOp, right: string): boolean {
  const numeric = NUMBER.test(left.trim()) && NUMBER.test(right.trim());
  const order = numeric ? Math.sign(Number(left) - Number(right)) : left < right ? -1 : left > right ? 1 : 0;
  switch (op) {
    case 'EQUAL_TO': return order === 0;
    case 'NOT_EQUAL': return order !== 0;
    case 'GREATER_THAN': return order > 0;
    case 'GREATER_THAN_OR_EQUAL': return order >= 0;
    case 'LESS_THAN': return order < 0;
    case 'LESS_THAN_OR_EQUAL': return order <= 0;
  }
}

/** A condition task's result: its outcome as the value `outcome`, or why it could not be evaluated. */
export function runCondition(body: Extract<TaskBody, { type: 'condition' }>, scope: ReferenceScope):
  { state: 'SUCCESS' | 'FAILED'; message: string; values?: Record<string, string> } {
  try {
    const left = renderWithScope(body.left, scope);
    const right = renderWithScope(body.right, scope);
    const outcome = evaluateCondition(left, body.op, right);
    return { state: 'SUCCESS', message: `${JSON.stringify(left)} ${body.op} ${JSON.stringify(right)} is ${outcome}`, values: { outcome: String(outcome) } };
  } catch (error) {
    return { state: 'FAILED', message: (error as Error).message };
  }
}
