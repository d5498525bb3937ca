package org.painn4j.model;

import java.util.Locale;
import java.util.Map;
import org.painn4j.InputException;

/**
 * A PaiNN model's configuration, read from the {@code __metadata__} of its weights file
 * (SPEC §2). F = nAtomBasis, L = nInteractions, K = nRbf, rc = cutoff.
 */
public record PainnConfig(int nAtomBasis, int nInteractions, int nRbf, double cutoff,
                          RadialBasis radialBasis, double epsilon,
                          boolean sharedFilters, boolean sharedInteractions,
                          String name, String description) {

    public PainnConfig {
        if (nAtomBasis <= 0 || nInteractions <= 0 || nRbf <= 0) {
            throw new IllegalArgumentException("sizes must be positive");
        }
        if (!(cutoff > 0) || !Double.isFinite(cutoff)) {
            throw new IllegalArgumentException("cutoff must be positive");
        }
        if (radialBasis == RadialBasis.GAUSSIAN && nRbf < 2) {
            throw new IllegalArgumentException("a gaussian basis needs n_rbf >= 2");
        }
    }

    /** Number of filter blocks of width 3F: one when filters are shared, else L. */
    public int filterBlocks() {
        return sharedFilters ? 1 : nInteractions;
    }

    static PainnConfig fromMetadata(String where, Map<String, String> md) {
        String format = require(where, md, "format");
        if (!format.equals("painn")) {
            throw new InputException(where + ": unknown format '" + format + "' in __metadata__ (expected 'painn')");
        }
        int f = positiveInt(where, md, "n_atom_basis");
        int l = positiveInt(where, md, "n_interactions");
        int k = positiveInt(where, md, "n_rbf");
        double rc = positiveDouble(where, md, "cutoff");
        String rb = require(where, md, "radial_basis").toLowerCase(Locale.ROOT);
        RadialBasis basis = switch (rb) {
            case "gaussian" -> RadialBasis.GAUSSIAN;
            case "bessel" -> RadialBasis.BESSEL;
            default -> throw new InputException(where + ": __metadata__ radial_basis '" + rb
                    + "' is not supported (gaussian or bessel)");
        };
        if (basis == RadialBasis.GAUSSIAN && k < 2) {
            throw new InputException(where + ": __metadata__ n_rbf must be at least 2 for a gaussian basis");
        }
        expect(where, md, "cutoff_fn", "cosine");
        expect(where, md, "activation", "silu");
        double eps = positiveDouble(where, md, "epsilon");
        boolean sf = bool(where, md, "shared_filters");
        boolean si = bool(where, md, "shared_interactions");
        return new PainnConfig(f, l, k, rc, basis, eps, sf, si,
                md.getOrDefault("name", ""), md.getOrDefault("description", ""));
    }

    private static String require(String where, Map<String, String> md, String key) {
        String v = md.get(key);
        if (v == null) {
            throw new InputException(where + ": __metadata__ lacks the key '" + key + "'");
        }
        return v.trim();
    }

    private static void expect(String where, Map<String, String> md, String key, String value) {
        String v = require(where, md, key).toLowerCase(Locale.ROOT);
        if (!v.equals(value)) {
            throw new InputException(where + ": __metadata__ " + key + " '" + v
                    + "' is not supported (expected '" + value + "')");
        }
    }

    private static int positiveInt(String where, Map<String, String> md, String key) {
        String v = require(where, md, key);
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new InputException(where + ": __metadata__ " + key + " '" + v + "' is not a positive integer");
    }

    private static double positiveDouble(String where, Map<String, String> md, String key) {
        String v = require(where, md, key);
        try {
            double x = Double.parseDouble(v);
            if (x > 0 && Double.isFinite(x)) {
                return x;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new InputException(where + ": __metadata__ " + key + " '" + v + "' is not a positive number");
    }

    private static boolean bool(String where, Map<String, String> md, String key) {
        String v = md.get(key);
        if (v == null) {
            return false;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw new InputException(where + ": __metadata__ " + key + " '" + v
                    + "' is not true or false");
        };
    }
}
