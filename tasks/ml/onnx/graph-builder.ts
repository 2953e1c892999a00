// Collects the nodes, constants, inputs and outputs of one ONNX graph and
// hands out unique intermediate names, so the feature and estimator builders
// only say which operators they need.
import {
  AttributeType,
  DataType,
  type AttributeMessage,
  type DimensionMessage,
  type GraphMessage,
  type NodeMessage,
  type TensorMessage,
  type ValueInfoMessage,
} from './onnx-schema.js';

export const ML_DOMAIN = 'ai.onnx.ml';

const utf8 = new TextEncoder();

/** Attribute constructors; ONNX stores floats as float32, so values are rounded on the wire. */
export const attribute = {
  float: (name: string, f: number): AttributeMessage => ({ name, type: AttributeType.float, f }),
  int: (name: string, i: number): AttributeMessage => ({ name, type: AttributeType.int, i }),
  string: (name: string, s: string): AttributeMessage => ({ name, type: AttributeType.string, s: utf8.encode(s) }),
  floats: (name: string, floats: number[]): AttributeMessage => ({ name, type: AttributeType.floats, floats }),
  ints: (name: string, ints: number[]): AttributeMessage => ({ name, type: AttributeType.ints, ints }),
  /** A 1-D float64 tensor attribute (the `*_as_tensor` forms), for values float32 would round. */
  doubles: (name: string, values: number[]): AttributeMessage => ({
    name,
    type: AttributeType.tensor,
    t: { name: '', dims: [values.length], data_type: DataType.double, double_data: values },
  }),
  strings: (name: string, strings: string[]): AttributeMessage => ({
    name,
    type: AttributeType.strings,
    strings: strings.map((text) => utf8.encode(text)),
  }),
};

export type Dimension = number | string;

export function valueInfo(name: string, elemType: number, shape: Dimension[]): ValueInfoMessage {
  const dim: DimensionMessage[] = shape.map((size) =>
    typeof size === 'number' ? { dim_value: size } : { dim_param: size });
  return { name, type: { tensor_type: { elem_type: elemType, shape: { dim } } } };
}

export class GraphBuilder {
  private readonly nodes: NodeMessage[] = [];
  private readonly initializers: TensorMessage[] = [];
  private readonly inputs: ValueInfoMessage[] = [];
  private readonly outputs: ValueInfoMessage[] = [];
  private readonly intermediates: ValueInfoMessage[] = [];
  private readonly usedNames = new Set<string>();

  /** A fresh tensor or node name starting with `stem` (graph inputs keep their column names). */
  uniqueName(stem: string): string {
    let name = stem;
    for (let suffix = 1; this.usedNames.has(name); suffix += 1) name = `${stem}_${suffix}`;
    this.usedNames.add(name);
    return name;
  }

  addInput(name: string, elemType: number, shape: Dimension[]): string {
    if (this.usedNames.has(name)) throw new Error(`the ONNX graph already has a tensor named '${name}'; column names must be unique`);
    this.usedNames.add(name);
    this.inputs.push(valueInfo(name, elemType, shape));
    return name;
  }

  addOutput(name: string, elemType: number, shape: Dimension[]): void {
    this.outputs.push(valueInfo(name, elemType, shape));
  }

  /**
   * Declares an intermediate tensor's type. onnx.checker's strict shape
   * inference needs it after ai.onnx.ml operators that infer no output type
   * (Imputer, Scaler, OneHotEncoder in onnx 1.12).
   */
  describe(name: string, elemType: number, shape: Dimension[]): string {
    this.intermediates.push(valueInfo(name, elemType, shape));
    return name;
  }

  /** Adds one operator and returns the names of its outputs (given ones, or fresh names from the op type). */
  addNode(
    opType: string,
    inputs: string[],
    attributes: AttributeMessage[] = [],
    options: { domain?: string; outputs?: string[]; outputCount?: number } = {},
  ): string[] {
    const outputs = options.outputs
      ?? Array.from({ length: options.outputCount ?? 1 }, () => this.uniqueName(opType.toLowerCase()));
    this.nodes.push({
      input: inputs,
      output: outputs,
      name: this.uniqueName(`${opType}_node`),
      op_type: opType,
      domain: options.domain ?? '',
      attribute: attributes,
    });
    return outputs;
  }

  /** Reserves an exact output name (e.g. `label`) so intermediates never take it. */
  reserve(name: string): string {
    // Only an input can hold the name already: intermediates avoid taken names.
    if (this.usedNames.has(name)) throw new Error(`input column '${name}' has the name of a model output; rename the column`);
    this.usedNames.add(name);
    return name;
  }

  floatConstant(stem: string, values: number[], dims: number[]): string {
    const name = this.uniqueName(stem);
    this.initializers.push({ name, dims, data_type: DataType.float, float_data: values });
    return name;
  }

  doubleConstant(stem: string, values: number[], dims: number[]): string {
    const name = this.uniqueName(stem);
    this.initializers.push({ name, dims, data_type: DataType.double, double_data: values });
    return name;
  }

  int64Constant(stem: string, values: number[], dims: number[]): string {
    const name = this.uniqueName(stem);
    this.initializers.push({ name, dims, data_type: DataType.int64, int64_data: values });
    return name;
  }

  build(name: string): GraphMessage {
    return {
      name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
      value_info: this.intermediates,
    };
  }
}
