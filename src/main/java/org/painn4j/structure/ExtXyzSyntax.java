package org.painn4j.structure;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The text-level rules of extended XYZ as ASE reads them: how a comment line splits into
 * key=value pairs, a value into items, an atom line into columns, and which spellings are
 * numbers. It exists so that these rules, which know nothing of frames, sit in one place that
 * both the parser and {@link Frame.Column} use.
 */
final class ExtXyzSyntax {
    private ExtXyzSyntax() {
    }

    /**
     * The key=value pairs of a comment line, raw values unquoted, the way ASE's
     * key_val_str_to_dict splits them: values in "", '', {} or [], backslash escapes, spaces
     * around '=' allowed, a bare key meaning T. ASE reads an unclosed quote to the end of the
     * line, swallowing pbc and whatever else follows; that is refused here.
     */
    static Map<String, String> parseComment(String line) {
        List<List<StringBuilder>> pairs = new ArrayList<>();
        pairs.add(newPair());
        char closing = 0;
        boolean escaped = false;
        String s = line.strip();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            List<StringBuilder> pair = pairs.get(pairs.size() - 1);
            StringBuilder part = pair.get(pair.size() - 1);
            if (escaped) {
                part.append(ch);
                escaped = false;
            } else if (ch == '\\') {
                escaped = true;
            } else if (closing != 0) {
                if (ch == closing) {
                    closing = 0;
                } else {
                    part.append(ch);
                }
            } else if ("\"'{[".indexOf(ch) >= 0) {
                closing = "\"'}]".charAt("\"'{[".indexOf(ch));
            } else if (Character.isWhitespace(ch)) {
                if (part.length() > 0) {
                    pairs.add(newPair());
                }
            } else if (ch == '=') {
                if (pair.size() == 1 && part.length() == 0) {
                    // "key = value": the space opened a new pair that '=' now closes again.
                    pairs.remove(pairs.size() - 1);
                    if (pairs.isEmpty()) {
                        throw new IllegalArgumentException("'=' without a key");
                    }
                }
                pairs.get(pairs.size() - 1).add(new StringBuilder());
            } else {
                part.append(ch);
            }
        }
        if (closing != 0) {
            throw new IllegalArgumentException("unclosed " + closing + " quote");
        }
        Map<String, String> keys = new LinkedHashMap<>();
        for (List<StringBuilder> pair : pairs) {
            String key = pair.get(0).toString();
            if (pair.size() == 1) {
                if (!key.isEmpty()) {
                    keys.put(key, "T");
                }
                continue;
            }
            StringBuilder value = new StringBuilder(pair.get(1));
            for (int p = 2; p < pair.size(); p++) {
                value.append('=').append(pair.get(p));
            }
            keys.put(key, value.toString());
        }
        return keys;
    }

    private static List<StringBuilder> newPair() {
        List<StringBuilder> pair = new ArrayList<>(2);
        pair.add(new StringBuilder());
        return pair;
    }

    /** The items of a multi-valued key, split on spaces and commas as ASE does. */
    static String[] values(String text) {
        List<String> items = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= text.length(); i++) {
            boolean sep = i == text.length() || Character.isWhitespace(text.charAt(i)) || text.charAt(i) == ',';
            if (sep && start >= 0) {
                items.add(text.substring(start, i));
                start = -1;
            } else if (!sep && start < 0) {
                start = i;
            }
        }
        return items.toArray(new String[0]);
    }

    /**
     * Finds the first start.length whitespace-separated columns of an atom line; returns how
     * many it found. Columns past those are never looked at, as in ASE.
     */
    static int split(String s, int[] start, int[] end) {
        int found = 0;
        int n = s.length();
        int i = 0;
        while (found < start.length) {
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (i == n) {
                break;
            }
            start[found] = i;
            while (i < n && !Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            end[found++] = i;
        }
        return found;
    }

    /**
     * A decimal number as Python's float() reads it, nan and inf included; NumberFormatException
     * for anything else, including the hexadecimal and 'd'/'f'-suffixed forms Java alone accepts.
     */
    static double parseReal(String t) {
        if (t.isEmpty()) {
            throw new NumberFormatException("empty");
        }
        for (int i = 0; i < t.length(); i++) {
            char ch = t.charAt(i);
            if (!(ch >= '0' && ch <= '9' || ch == '.' || ch == 'e' || ch == 'E' || ch == '+' || ch == '-')) {
                String word = t.toLowerCase();
                boolean negative = word.startsWith("-");
                if (negative || word.startsWith("+")) {
                    word = word.substring(1);
                }
                switch (word) {
                    case "nan":
                        return Double.NaN;
                    case "inf", "infinity":
                        return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                    default:
                        throw new NumberFormatException(t);
                }
            }
        }
        return Double.parseDouble(t);
    }
}
