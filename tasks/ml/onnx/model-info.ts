// Reads what a caller needs to know about an ONNX model without running it:
// its inputs and outputs, opsets and the Sluice metadata stored beside it.
import type { ModelMetadata } from '../model-spec.js';
import { METADATA_KEY } from './model-writer.js';
import { DataType, ModelProto } from './onnx-schema.js';

export interface OnnxTensorInfo {
  name: string;
  /** 'float', 'double', 'string', 'int64', … or `type <code>` for others. */
  elementType: string;
  /** Fixed sizes as numbers, symbolic ones (like the batch size `N`) as names, '?' when unknown. */
  shape: (number | string)[];
}

export interface OnnxModelInfo {
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  /** Parsed from metadata_props key `sluice` when present. */
  metadata?: ModelMetadata;
  opsets: Record<string, number>;
  irVersion: number;
}

interface DecodedValueInfo {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: { dim_value?: number; dim_param?: string }[] } } };
}

interface DecodedModel {
  ir_version?: number;
  opset_import?: { domain?: string; version?: number }[];
  graph?: { input?: DecodedValueInfo[]; output?: DecodedValueInfo[]; initializer?: { name?: string }[] };
  metadata_props?: { key?: string; value?: string }[];
}

const elementTypeNames = new Map<number, string>(Object.entries(DataType).map(([name, code]) => [code, name]));

/** `source` names the bytes in errors, e.g. the file path. */
export function readModelInfo(bytes: Uint8Array, source = 'the given data'): OnnxModelInfo {
  const notOnnx = (why: string) => new Error(`${source} is not an ONNX model: ${why}`);
  if (bytes.length === 0) throw notOnnx('it is empty (0 bytes)');
  let model: DecodedModel;
  try {
    model = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, defaults: false }) as DecodedModel;
  } catch (error) {
    throw notOnnx(`its protobuf encoding is broken or cut short (${(error as Error).message})`);
  }
  if (!model.ir_version || model.ir_version < 1) throw notOnnx('it has no IR version');
  if (!model.graph) throw notOnnx('it has no graph');
  // Inputs that are also initializers are constants with defaults, not model inputs.
  const constants = new Set((model.graph.initializer ?? []).map((tensor) => tensor.name));
  const inputs = (model.graph.input ?? []).filter((input) => !constants.has(input.name)).map(tensorInfo);
  const outputs = (model.graph.output ?? []).map(tensorInfo);
  if (outputs.length === 0) throw notOnnx('its graph has no outputs');
  const opsets: Record<string, number> = {};
  for (const opset of model.opset_import ?? []) opsets[opset.domain || 'ai.onnx'] = opset.version ?? 0;
  const info: OnnxModelInfo = { inputs, outputs, opsets, irVersion: model.ir_version };
  const stored = model.metadata_props?.find((entry) => entry.key === METADATA_KEY)?.value;
  if (stored !== undefined) info.metadata = parseMetadata(stored, source);
  return info;
}

function tensorInfo(value: DecodedValueInfo): OnnxTensorInfo {
  const tensor = value.type?.tensor_type;
  const code = tensor?.elem_type ?? 0;
  return {
    name: value.name ?? '',
    elementType: elementTypeNames.get(code) ?? `type ${code}`,
    shape: (tensor?.shape?.dim ?? []).map((dim) => dim.dim_param ?? dim.dim_value ?? '?'),
  };
}

function parseMetadata(text: string, source: string): ModelMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} has damaged Sluice metadata (metadata_props '${METADATA_KEY}' is not JSON: ${(error as Error).message}); export the model again`);
  }
  const metadata = parsed as Partial<ModelMetadata> | null;
  if (!metadata || typeof metadata !== 'object' || typeof metadata.task !== 'string' || !Array.isArray(metadata.plan?.columns)) {
    throw new Error(`${source} has damaged Sluice metadata (metadata_props '${METADATA_KEY}' lacks task or plan); export the model again`);
  }
  return metadata as ModelMetadata;
}
