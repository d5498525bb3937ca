package org.painn4j.model;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.painn4j.InputException;

/**
 * A PaiNN model's configuration, read from the {@code __metadata__} of its weights file
 * (SPEC §2). F = nAtomBasis, L = nInteractions, K = nRbf, rc = cutoff.
 */
public record PainnConfig(int nAtomBasis, int nInteractions, int nRbf, double cutoff,
                          RadialBasis radialBasis, double epsilon,
                          boolean sharedFilters, boolean sharedInteractions,
                          String name, String description) {

    /**
     * Upper bounds on the sizes read from a file: far above any PaiNN model (F ~ 128–512,
     * L ~ 3–6, K ~ 20–50), low enough that arrays derived from them fit in memory and that
     * 3·F·L cannot overflow.
     */
    public static final int MAX_ATOM_BASIS = 65536;
    public static final int MAX_INTERACTIONS = 1024;
    public static final int MAX_RBF = 65536;

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
            throw new InputException(where + ": unknown format '" + SafeTensors.printable(format)
                    + "' in __metadata__ (expected 'painn')");
        }
        int f = positiveInt(where, md, "n_atom_basis", MAX_ATOM_BASIS);
        int l = positiveInt(where, md, "n_interactions", MAX_INTERACTIONS);
        int k = positiveInt(where, md, "n_rbf", MAX_RBF);
        double rc = positiveDouble(where, md, "cutoff");
        String rb = require(where, md, "radial_basis").toLowerCase(Locale.ROOT);
        RadialBasis basis = switch (rb) {
            case "gaussian" -> RadialBasis.GAUSSIAN;
            case "bessel" -> RadialBasis.BESSEL;
            default -> throw new InputException(where + ": __metadata__ radial_basis '" + SafeTensors.printable(rb)
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
            throw new InputException(where + ": __metadata__ " + key + " '" + SafeTensors.printable(v)
                    + "' is not supported (expected '" + value + "')");
        }
    }

    private static int positiveInt(String where, Map<String, String> md, String key, int max) {
        String v = require(where, md, key);
        String digits = v.startsWith("+") ? v.substring(1) : v;
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')
                || digits.chars().allMatch(c -> c == '0')) {
            throw new InputException(where + ": __metadata__ " + key + " '" + SafeTensors.printable(v)
                    + "' is not a positive integer");
        }
        String significant = digits.replaceFirst("^0+", "");
        if (significant.length() > 9 || Integer.parseInt(significant) > max) {
            throw new InputException(where + ": __metadata__ " + key + " '" + SafeTensors.printable(v)
                    + "' is larger than painn4j accepts (at most " + max + ")");
        }
        return Integer.parseInt(significant);
    }

    /**
     * A plain decimal number: optional sign, digits, optional fraction, optional exponent. Python
     * writes metadata so; Double.parseDouble alone would also take Java's 5.0f, 1e-8d, 0x1.4p2,
     * NaN and Infinity, which no exporter writes.
     */
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    private static double positiveDouble(String where, Map<String, String> md, String key) {
        String v = require(where, md, key);
        if (!DECIMAL.matcher(v).matches()) {
            throw new InputException(where + ": __metadata__ " + key + " '" + SafeTensors.printable(v)
                    + "' is not a decimal number");
        }
        double x = Double.parseDouble(v);
        if (Double.isInfinite(x)) {
            throw new InputException(where + ": __metadata__ " + key + " '" + SafeTensors.printable(v)
                    + "' is too large for a double");
        }
        if (!(x > 0)) {
            throw new InputException(where + ": __metadata__ " + key + " '" + SafeTensors.printable(v)
                    + "' is not a positive number");
        }
        return x;
    }

    private static boolean bool(String where, Map<String, String> md, String key) {
        String v = md.get(key);
        if (v == null) {
            return false;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw new InputException(where + ": __metadata__ " + key + " '" + SafeTensors.printable(v)
                    + "' is not true or false");
        };
    }
}
