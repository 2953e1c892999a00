// Evaluates a condition task: numbers compare as numbers when both operands
// look like numbers, otherwise the operands compare as text.
import type { ConditionOp } from '../spec/model.js';

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
