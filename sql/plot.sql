-- nn_plot: learning curves as SVG.  The document is parsed with
-- PostgreSQL's XML support; every plotted point is mapped back through the
-- plot area's data attributes (axis ranges and pixel box) and compared with
-- nn_info(model)->'history'.

SELECT p.provolatile AS volatility, p.proisstrict AS strict, p.proparallel AS parallel,
       obj_description(p.oid, 'pg_proc') AS comment
FROM pg_proc p WHERE p.proname = 'nn_plot' ORDER BY p.pronargs;

CREATE TABLE plot_data AS
SELECT (i % 17)::real AS x1, (i % 5)::real AS x2,
       CASE WHEN i % 17 + i % 5 > 10 THEN 'high' ELSE 'low' END AS label,
       CASE WHEN (i * 7919) % 13 < 6 THEN 'high' ELSE 'low' END AS noisy,
       ((i % 17) * 0.3 + (i % 5))::real AS y
FROM generate_series(1, 240) i;

CREATE TABLE plot_models (name text, m bytea);
INSERT INTO plot_models VALUES
  ('classifier, validation',
   nn_train('plot_data', 'label', '{x1, x2}', '{8}',
            '{"epochs": 12, "seed": 3, "validation_fraction": 0.25}')),
  ('regressor, no validation',
   nn_train('plot_data', 'y', '{x1, x2}', '{6}', '{"epochs": 9, "seed": 4}')),
  ('early stopping',
   nn_train('plot_data', 'noisy', '{x1, x2}', '{32}',
            '{"epochs": 100, "seed": 5, "validation_fraction": 0.25, "patience": 3, "learning_rate": 0.003}')),
  ('one epoch',
   nn_train('plot_data', 'y', '{x1, x2}', '{4}', '{"epochs": 1, "seed": 6}')),
  ('many epochs',
   nn_train('plot_data', 'y', '{x1}', '{2}', '{"epochs": 300, "seed": 7, "batch_size": 240}'));
-- two passes of the nn_fit aggregate after nn_init: a history without a target name
INSERT INTO plot_models
SELECT 'nn_fit passes', (SELECT nn_fit(m0, ARRAY[x1, x2], y) FROM plot_data)
FROM (SELECT (SELECT nn_fit(nn_init(2, '{4}', 1, '{"seed": 8}'), ARRAY[x1, x2], y)
              FROM plot_data) AS m0) s;

-- the axis ranges and pixel box of a plot
CREATE FUNCTION plot_area(svg text)
RETURNS TABLE (x_min float8, x_max float8, y_min float8, y_max float8,
               px_left float8, px_top float8, px_width float8, px_height float8)
LANGUAGE sql IMMUTABLE AS $$
  SELECT t.* FROM XMLTABLE(XMLNAMESPACES('http://www.w3.org/2000/svg' AS s),
                           '//s:g[@class="plot-area"]' PASSING xmlparse(document svg)
                           COLUMNS x_min float8 PATH '@data-x-min', x_max float8 PATH '@data-x-max',
                                   y_min float8 PATH '@data-y-min', y_max float8 PATH '@data-y-max',
                                   px_left float8 PATH '@data-px-left', px_top float8 PATH '@data-px-top',
                                   px_width float8 PATH '@data-px-width',
                                   px_height float8 PATH '@data-px-height') t
$$;

-- every vertex of the polylines of one class, mapped back to (epoch, loss);
-- run numbers the polylines, tol is the loss of 0.006 px (coordinates are
-- rounded to 0.01 px)
CREATE FUNCTION plot_points(svg text, cls text)
RETURNS TABLE (run bigint, epoch float8, loss float8, tol float8)
LANGUAGE sql IMMUTABLE AS $$
  SELECT l.run,
         a.x_min + (split_part(pt, ',', 1)::float8 - a.px_left) * (a.x_max - a.x_min) / a.px_width,
         a.y_min + (a.px_top + a.px_height - split_part(pt, ',', 2)::float8)
                   * (a.y_max - a.y_min) / a.px_height,
         0.006 * (a.y_max - a.y_min) / a.px_height
  FROM plot_area(svg) a,
       XMLTABLE(XMLNAMESPACES('http://www.w3.org/2000/svg' AS s),
                '//s:polyline' PASSING xmlparse(document svg)
                COLUMNS run FOR ORDINALITY, class text PATH '@class', points text PATH '@points') l,
       unnest(string_to_array(l.points, ' ')) pt
  WHERE l.class = cls
$$;

CREATE TABLE plots AS
SELECT name, m, nn_plot(m) AS svg, nn_info(m) AS info FROM plot_models;

-- well formed; the root is an SVG element with its size
SELECT name, xml_is_well_formed_document(svg) AS well_formed,
       (xpath('name(/*)', xmlparse(document svg)))[1]::text AS root,
       (xpath('namespace-uri(/*)', xmlparse(document svg)))[1]::text AS namespace,
       (xpath('/s:svg/@width', xmlparse(document svg), '{{s,http://www.w3.org/2000/svg}}'))[1]::text AS width,
       (xpath('/s:svg/@height', xmlparse(document svg), '{{s,http://www.w3.org/2000/svg}}'))[1]::text AS height,
       (xpath('/s:svg/@viewBox', xmlparse(document svg), '{{s,http://www.w3.org/2000/svg}}'))[1]::text AS viewbox
FROM plots ORDER BY name;

-- the curves: one point per measured epoch of the history, at the epoch
-- (a whole number) and at its loss within the rounding of the coordinates
CREATE FUNCTION plot_check(cls text, key text)
RETURNS TABLE (name text, history_points bigint, plotted bigint, polylines bigint,
               whole_epochs bool, losses_match bool)
LANGUAGE sql AS $$
  WITH h AS (SELECT name, (e->>'epoch')::float8 AS epoch, (e->>key)::float8 AS loss
             FROM plots, jsonb_array_elements(info->'history') e WHERE e->>key IS NOT NULL),
       p AS (SELECT name, pp.* FROM plots, plot_points(svg, cls) pp),
       agg AS (SELECT coalesce(h.name, p.name) AS name, count(h.epoch) AS history_points,
                      count(p.epoch) AS plotted, count(DISTINCT p.run) AS polylines,
                      bool_and(abs(p.epoch - round(p.epoch)) < 0.05) AS whole_epochs,
                      bool_and(abs(p.loss - h.loss) <= p.tol) AS losses_match
               FROM h FULL JOIN p ON h.name = p.name AND h.epoch = round(p.epoch)
               GROUP BY 1)
  SELECT plots.name, coalesce(history_points, 0), coalesce(plotted, 0), coalesce(polylines, 0),
         whole_epochs, losses_match
  FROM plots LEFT JOIN agg USING (name) ORDER BY plots.name
$$;
SELECT jsonb_array_length(info->'history') AS epochs, c.*
FROM plot_check('train-loss', 'train_loss') c JOIN plots USING (name) ORDER BY name;
SELECT * FROM plot_check('val-loss', 'val_loss');

-- every loss lies inside the axis range, and the range is not absurdly wide
SELECT name,
       bool_and((e->>'train_loss')::float8 BETWEEN a.y_min AND a.y_max) AS inside,
       max((e->>'train_loss')::float8) - min((e->>'train_loss')::float8) >= (a.y_max - a.y_min) / 20
           OR count(*) < 2 AS not_flattened
FROM plots, plot_area(svg) a, jsonb_array_elements(info->'history') e
GROUP BY name, a.y_min, a.y_max ORDER BY name;

-- title, axis labels, legend
SELECT name, t.title, t.subtitle,
       array_to_string((xpath('//s:text[@class="axis-label"]/text()', xmlparse(document svg),
                              '{{s,http://www.w3.org/2000/svg}}'))::text[], ', ') AS labels,
       array_to_string((xpath('//s:g[@class="legend"]//s:text/text()', xmlparse(document svg),
                              '{{s,http://www.w3.org/2000/svg}}'))::text[], ', ') AS legend
FROM plots, XMLTABLE(XMLNAMESPACES('http://www.w3.org/2000/svg' AS s), '/s:svg'
                     PASSING xmlparse(document svg)
                     COLUMNS title text PATH 's:text[@class="title"]',
                             subtitle text PATH 's:text[@class="subtitle"]') t
ORDER BY name;

-- ticks: at least three per axis, a step of 1, 2 or 5 times a power of
-- ten, evenly spaced, spanning the axis range, each with a label
SELECT name, axis, count(*) >= 3 AS enough,
       bool_and(abs(v - lag_v - step) <= 1e-9 * step OR lag_v IS NULL) AS even,
       bool_and(round((step / 10 ^ floor(log(step) + 1e-9))::numeric, 9) IN (1, 2, 5)) AS step_1_2_5,
       abs(min(v) - min(lo)) <= 1e-9 * min(step) AND abs(max(v) - max(hi)) <= 1e-9 * min(step)
           AS spans_range,
       bool_and(label <> '') AS labelled
FROM (SELECT name, t.axis, t.step, t.v, t.label,
             lag(t.v) OVER (PARTITION BY name, t.axis ORDER BY t.v) AS lag_v,
             CASE t.axis WHEN 'x-axis' THEN a.x_min ELSE a.y_min END AS lo,
             CASE t.axis WHEN 'x-axis' THEN a.x_max ELSE a.y_max END AS hi
      FROM plots, plot_area(svg) a,
           XMLTABLE(XMLNAMESPACES('http://www.w3.org/2000/svg' AS s), '//s:g[@class="tick"]'
                    PASSING xmlparse(document svg)
                    COLUMNS axis text PATH '../@class', step float8 PATH '../@data-step',
                            v float8 PATH '@data-value', label text PATH 's:text') t) q
GROUP BY name, axis ORDER BY name, axis;

-- the best epoch of early stopping (labels that are noise: the validation
-- loss soon rises) is marked where nn_info puts it, and only there
SELECT name, info->>'best_epoch' IS NOT NULL AS has_best_epoch,
       (xpath('//s:line[@class="best-epoch"]/@data-epoch', xmlparse(document svg),
              '{{s,http://www.w3.org/2000/svg}}'))[1]::text IS NOT DISTINCT FROM info->>'best_epoch'
           AS marked_there
FROM plots ORDER BY name;

-- an untrained model: a document that says there is no history
SELECT xml_is_well_formed_document(s) AS well_formed,
       (xpath('string(//s:text[@class="message"])', xmlparse(document s),
              '{{s,http://www.w3.org/2000/svg}}'))[1]::text AS message,
       (xpath('count(//s:polyline)', xmlparse(document s),
              '{{s,http://www.w3.org/2000/svg}}'))[1]::text AS polylines
FROM (SELECT nn_plot(nn_init(3, '{4}', 2)) AS s) t;

-- text from the model is escaped: a target named with markup characters,
-- quotes and a non-ASCII letter reads back unchanged from the title, and
-- the document itself is ASCII
DO $$
BEGIN
  EXECUTE format('CREATE TABLE plot_names AS SELECT x1, y AS %I FROM plot_data',
                 'a<b> & "c''d" gr' || chr(246) || 'sse </text>');
END $$;
SELECT t.title = 'Learning curve: a<b> & "c''d" gr' || chr(246) || 'sse </text>' AS title_round_trips,
       svg ~ '^[\x0a\x20-\x7e]*$' AS ascii,
       xml_is_well_formed_document(svg) AS well_formed
FROM (SELECT nn_plot(nn_train('plot_names', (SELECT attname FROM pg_attribute
                                              WHERE attrelid = 'plot_names'::regclass AND attnum = 2),
                              '{x1}', '{2}', '{"epochs": 2}')) AS svg) p,
     XMLTABLE(XMLNAMESPACES('http://www.w3.org/2000/svg' AS s), '/s:svg'
              PASSING xmlparse(document svg) COLUMNS title text PATH 's:text[@class="title"]') t;

-- the same model gives the same document; NULL gives NULL
SELECT count(DISTINCT nn_plot(m)) AS documents FROM (SELECT name, m FROM plot_models UNION ALL
                                                    SELECT name, m FROM plot_models) t
WHERE name = 'classifier, validation';
SELECT nn_plot(NULL) IS NULL AS null_in_null_out;

-- errors: damaged models
SELECT nn_plot('\x00'::bytea);
SELECT nn_plot(convert_to('<svg/>', 'UTF8'));
SELECT nn_plot(substr(m, 1, length(m) - 1)) FROM plot_models WHERE name = 'one epoch';
SELECT nn_plot(m || '\x00'::bytea) FROM plot_models WHERE name = 'one epoch';

DROP TABLE plots, plot_models, plot_names, plot_data;
DROP FUNCTION plot_check(text, text), plot_points(text, text), plot_area(text);
