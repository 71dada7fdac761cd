-- ref_forward(model, rows): the outputs of a dense nn model computed in SQL
-- from the model's bytes, a reference that shares nothing with nn's reader,
-- kernels or caches.  Included by sql/predict.sql, sql/toolkit_regularizers.sql
-- and test/toolkit_acceptance.sql (\i :abs_srcdir/test/ref_forward.sql after
-- \getenv abs_srcdir PG_ABS_SRCDIR).  Names start with ref_, which no
-- extension object can take.  It follows doc/model-format.md for dense
-- models: a new layer kind or format field needs it updated, and an offset
-- that no longer fits raises an error rather than passing quietly.
-- A model's u32 and float32 (IEEE-754) at byte offset o, little-endian,
-- read by hand: the forward pass below does not use nn's reader.
CREATE FUNCTION ref_u32(b bytea, o int) RETURNS bigint IMMUTABLE STRICT LANGUAGE sql AS $$
    SELECT get_byte(b, o) + (get_byte(b, o + 1) << 8) + (get_byte(b, o + 2) << 16)
           + (get_byte(b, o + 3)::bigint << 24)
$$;
CREATE FUNCTION ref_f32(b bytea, o int) RETURNS float8 IMMUTABLE STRICT LANGUAGE sql AS $$
    SELECT CASE WHEN u >> 31 = 1 THEN -1 ELSE 1 END
           * CASE WHEN u >> 23 & 255 = 0 THEN (u & 8388607) * 2::float8 ^ -149
                  ELSE ((u & 8388607) + 8388608) * 2::float8 ^ ((u >> 23 & 255) - 150) END
    FROM (SELECT ref_u32(b, o) AS u) t
$$;
-- The outputs of a dense network for the rows of xs (rows x inputs), in
-- float8 from the bytes of the model (doc/model-format.md): standardized
-- inputs, W x + b, batch normalization with the running statistics, the
-- activation, no dropout; softmax probabilities, [1 - p, p] for one
-- sigmoid output, a regressor's value in the target's units.  The header
-- has n_layers at byte 16, the widths from 20, 6 bytes per layer and the
-- epochs run at 136 + 10 n_layers; the model ends with the history, the
-- parameters, the running statistics and k slots of optimizer state.
CREATE FUNCTION ref_forward(m bytea, xs real[]) RETURNS float8[] IMMUTABLE STRICT LANGUAGE plpgsql AS $$
DECLARE
    n int := ref_u32(m, 16);
    w int[]; act int[]; bn boolean[];
    n_params int := 0; n_stats int := 0;
    k int := (ARRAY[0, 2, 1, 1, 1, 1, 2, 2])[get_byte(m, 10) + 1];
    epochs int := ref_u32(m, 136 + 10 * n);
    f float8[]; po int; sc int;
    a float8[]; z float8[]; out float8[] := '{}'; r float8[];
    wo int; so_l int; s float8; mx float8;
BEGIN
    FOR l IN 0 .. n LOOP w[l] := ref_u32(m, 20 + 4 * l); END LOOP;
    FOR l IN 0 .. n - 1 LOOP
        act[l] := get_byte(m, 24 + 4 * n + 6 * l);
        bn[l] := get_byte(m, 25 + 4 * n + 6 * l) = 1;
        n_params := n_params + w[l + 1] * (w[l] + 1) + CASE WHEN bn[l] THEN 2 * w[l + 1] ELSE 0 END;
        n_stats := n_stats + CASE WHEN bn[l] THEN 2 * w[l + 1] ELSE 0 END;
    END LOOP;
    po := length(m) - 4 * (n_params * (1 + k) + n_stats);
    IF ref_u32(m, po - 4 - 12 * epochs) <> epochs THEN
        RAISE EXCEPTION 'ref_forward: the history does not end where the parameters begin';
    END IF;
    SELECT array_agg(ref_f32(m, po + 4 * i) ORDER BY i) INTO f FROM generate_series(0, n_params + n_stats - 1) i;
    sc := po - 4 - 12 * epochs - 4 * (2 * w[0] + 2);
    FOR x IN 1 .. array_length(xs, 1) LOOP
        a := '{}';
        FOR i IN 1 .. w[0] LOOP
            a[i] := xs[x][i];
            IF get_byte(m, 12) = 1 THEN
                a[i] := (a[i] - ref_f32(m, sc + 4 * (i - 1))) / ref_f32(m, sc + 4 * (w[0] + i - 1));
            END IF;
        END LOOP;
        wo := 1; so_l := n_params + 1;
        FOR l IN 0 .. n - 1 LOOP
            z := '{}';
            FOR j IN 1 .. w[l + 1] LOOP
                s := f[wo + w[l + 1] * w[l] + j - 1];
                FOR i IN 1 .. w[l] LOOP
                    s := s + f[wo + (j - 1) * w[l] + i - 1] * a[i];
                END LOOP;
                z[j] := s;
            END LOOP;
            wo := wo + w[l + 1] * (w[l] + 1);
            IF bn[l] THEN
                FOR j IN 1 .. w[l + 1] LOOP
                    z[j] := (z[j] - f[so_l + j - 1]) / sqrt(f[so_l + w[l + 1] + j - 1] + 1e-5)
                            * f[wo + j - 1] + f[wo + w[l + 1] + j - 1];
                END LOOP;
                wo := wo + 2 * w[l + 1];
                so_l := so_l + 2 * w[l + 1];
            END IF;
            IF act[l] = 5 THEN
                mx := (SELECT max(v) FROM unnest(z) v);
                FOR j IN 1 .. w[l + 1] LOOP z[j] := exp(greatest(z[j] - mx, -700)); END LOOP;
                s := (SELECT sum(v) FROM unnest(z) v);
                FOR j IN 1 .. w[l + 1] LOOP z[j] := z[j] / s; END LOOP;
            ELSE
                FOR j IN 1 .. w[l + 1] LOOP
                    z[j] := CASE act[l] WHEN 0 THEN z[j] WHEN 1 THEN 1 / (1 + exp(least(-z[j], 700)))
                                        WHEN 2 THEN tanh(z[j]) WHEN 3 THEN greatest(z[j], 0)
                                        WHEN 4 THEN CASE WHEN z[j] < 0 THEN 0.01 * z[j] ELSE z[j] END END;
                END LOOP;
            END IF;
            a := z;
        END LOOP;
        IF get_byte(m, 8) = 1 AND get_byte(m, 12) = 1 THEN    -- a regressor: the target's units
            r := ARRAY[a[1] * ref_f32(m, sc + 8 * w[0] + 4) + ref_f32(m, sc + 8 * w[0])];
        ELSIF act[n - 1] = 1 THEN
            r := ARRAY[1 - a[1], a[1]];
        ELSE
            r := a;
        END IF;
        out := out || ARRAY[r];
    END LOOP;
    RETURN out;
END
$$;
