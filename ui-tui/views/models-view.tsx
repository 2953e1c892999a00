// The model registry: each model with its latest version, aliases, headline
// metric and that metric's trend across versions; under the list, the
// selected model's versions and its last drift check, a bar per feature.
import { Box, Text } from 'ink';
import { formatTime } from '../../cli/run-format.js';
import type { DriftVerdict, ModelSummary } from '../../engine/state/run-queries.js';
import type { KeyHelp } from '../components/chrome.js';
import { HeaderRow, layoutColumns, TableRow } from '../components/table.js';
import { useModels } from '../data/catalog-hooks.js';
import { useViewKeys } from '../keyboard.js';
import { aliasText, formatMetric, mainMetric, metricsText, metricTrend, psiAxis, psiBar, psiScale } from '../model-lines.js';
import { movement, useListCursor, type ViewProps } from '../navigation.js';
import { sparkline } from '../sparkline.js';
import { cutTo, fit, Painted } from '../theme.js';

export const MODEL_KEYS: readonly KeyHelp[] = [{ keys: '↑↓/jk', does: 'move' }];

const TREND = 12;

export function ModelsView({ width, height, active }: ViewProps) {
  const models = useModels();
  const list = models.data?.models ?? [];
  // The list takes up to a quarter of the screen; the selected model's details the rest.
  const listRows = Math.max(1, Math.min(list.length, Math.floor(height / 4)));
  const cursor = useListCursor(listRows);
  const { selected, start } = cursor.view(list.length);

  useViewKeys((input, key) => {
    const by = movement(input, key, listRows);
    if (by !== undefined) cursor.move(by, list.length);
  }, active);

  if (models.error) return <Text>{models.error}</Text>;
  if (!models.data?.registry) {
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Text bold>no model registry yet</Text>
        <Painted paint="dim">Model versions, aliases and drift verdicts appear here once the registry has written to this state database.</Painted>
      </Box>
    );
  }
  if (list.length === 0) return <Text> no models registered yet (a register task adds one)</Text>;
  // MODEL VER ALIASES METRIC TREND
  const widths = layoutColumns(width, [0, 4, 26, 15, TREND], 0, 10);
  const titles = ['MODEL', 'VER', 'ALIASES', 'METRIC', 'TREND'].map((text, i) => ({ text, width: widths[i]! }));
  const current = list[selected]!;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <HeaderRow titles={titles} />
      {list.slice(start, start + listRows).map((model, i) => {
        const metric = mainMetric(model.versions);
        const latest = model.versions.at(-1);
        const value = metric !== undefined && latest ? latest.metrics[metric] : undefined;
        return (
          <TableRow key={model.name} selected={start + i === selected} cells={[
            { text: model.name, width: widths[0]!, paint: 'cyan' },
            { text: latest ? String(latest.version) : '-', width: widths[1]!, paint: 'bold' },
            { text: aliasText(model.aliases) || '-', width: widths[2]! },
            { text: value === undefined ? '-' : `${metric} ${formatMetric(value)}`, width: widths[3]! },
            { text: sparkline(metricTrend(model.versions, metric).slice(-TREND)), width: widths[4]! },
          ]} />
        );
      })}
      <ModelDetail model={current} drift={models.data.drift.get(current.name)} width={width} height={height - 1 - listRows} />
    </Box>
  );
}

function ModelDetail({ model, drift, width, height }: { model: ModelSummary; drift?: DriftVerdict; width: number; height: number }) {
  const metric = mainMetric(model.versions);
  // Title, versions header, drift line and the bars' axis take a line each.
  const room = Math.max(0, height - 4);
  const versionRows = Math.min(model.versions.length, Math.max(1, Math.min(6, Math.floor(room / 3))));
  const newest = [...model.versions].reverse().slice(0, versionRows);
  // VER REGISTERED ALIASES METRICS
  const widths = layoutColumns(width, [4, 16, 16, 0], 3, 10);
  const titles = ['VER', 'REGISTERED', 'ALIASES', 'METRICS'].map((text, i) => ({ text, width: widths[i]! }));
  const more = model.versions.length - newest.length;
  const title = `─ ${model.name} · ${model.versions.length} version${model.versions.length === 1 ? '' : 's'}${more ? ` (newest ${newest.length} shown)` : ''} `;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate"><Painted paint="dim">{title + '─'.repeat(Math.max(0, width - title.length))}</Painted></Text>
      <HeaderRow titles={titles} />
      {newest.map((v) => (
        <TableRow key={v.version} cells={[
          { text: String(v.version), width: widths[0]!, paint: 'bold' },
          { text: formatTime(v.createdMs).slice(0, 16), width: widths[1]! },
          { text: aliasText(model.aliases, v.version), width: widths[2]!, paint: 'yellow' },
          { text: metricsText(v.metrics, metric), width: widths[3]! },
        ]} />
      ))}
      <DriftLines model={model.name} drift={drift} width={width} height={room - versionRows} />
    </Box>
  );
}

function DriftLines({ model, drift, width, height }: { model: string; drift?: DriftVerdict; width: number; height: number }) {
  if (!drift) {
    return <Text wrap="truncate"><Painted paint="dim">{` no drift check yet (a monitor with reference: models:/${model}@<alias>)`}</Painted></Text>;
  }
  const share = `${drift.driftedFeatures.length} of ${drift.features} drifted (${Math.round(drift.shareDrifted * 100)}%)`;
  const head = (
    <Text wrap="truncate">
      {' last drift check: '}
      <Painted paint={drift.detected ? 'red' : 'green'} bold>{drift.detected ? '✗ DRIFT' : '✓ no drift'}</Painted>
      {` · run ${drift.runId} ${drift.taskKey} vs v${drift.version} · ${share}`}
    </Text>
  );
  const psi = Object.entries(drift.featurePsi ?? {});
  if (!drift.featurePsi) {
    return <Box flexDirection="column">{head}<Painted paint="dim"> (this monitor run kept no per-feature PSI; monitors write it as feature_psi)</Painted></Box>;
  }
  const nameWidth = Math.min(18, Math.max(7, ...psi.map(([name]) => name.length)));
  // name, bar, PSI value, mark; a space between each
  const barWidth = Math.max(10, Math.min(50, width - nameWidth - 16));
  const top = psiScale(psi.map(([, v]) => v));
  const cut = psi.length > height ? height - 1 : psi.length;
  const drifted = new Set(drift.driftedFeatures);
  return (
    <Box flexDirection="column">
      {head}
      {psi.slice(0, Math.max(0, cut)).map(([name, value]) => {
        const isDrifted = drifted.has(name);
        return (
          <Text key={name} wrap="truncate">
            {' '}{fit(name, nameWidth)}{' '}
            <Painted paint={isDrifted ? 'red' : undefined}>{psiBar(value, barWidth, top)}</Painted>
            {' '}{(value === null ? '-' : value.toFixed(4)).padStart(6)}{' '}
            <Painted paint="red">{isDrifted ? 'drift' : ''}</Painted>
          </Text>
        );
      })}
      {cut < psi.length ? <Painted paint="dim">{cutTo(` … and ${psi.length - cut} more features (the report has them all)`, width)}</Painted> : null}
      <Text wrap="truncate"><Painted paint="dim">{' ' + ' '.repeat(nameWidth + 1) + psiAxis(barWidth, top) + '  PSI'}</Painted></Text>
    </Box>
  );
}
