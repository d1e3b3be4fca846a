package io.veto.rule;

import io.veto.event.PaymentEvent;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A compiled allow or block list: its values indexed so a payment is looked up in constant time
 * (a hash map of exact values) or, for BINs, in logarithmic time (one sorted map of ranges per
 * number of digits), never by scanning the values.
 */
public final class EntityList {
    private final String id;
    private final ListKind kind;
    private final ListEntity entity;
    private final String description;
    private final String owner;
    private final String file;
    private final int line;
    private final List<ListEntry> entries;
    private final Map<String, ListEntry> exact;
    /** For BIN lists, indexed by the number of digits a range or prefix has: range start -> range. */
    private final BinRange.Index bins;

    EntityList(
            String id,
            ListKind kind,
            ListEntity entity,
            String description,
            String owner,
            String file,
            int line,
            List<ListEntry> entries) {
        this.id = id;
        this.kind = kind;
        this.entity = entity;
        this.description = description;
        this.owner = owner;
        this.file = file;
        this.line = line;
        this.entries = List.copyOf(entries);
        if (entity == ListEntity.BIN) {
            this.exact = Map.of();
            this.bins = new BinRange.Index();
            for (ListEntry e : entries) {
                bins.add(BinRange.parse(e.value()), e);
            }
        } else {
            Map<String, ListEntry> m = new HashMap<>(entries.size() * 2);
            for (ListEntry e : entries) {
                m.put(e.value(), e);
            }
            this.exact = m;
            this.bins = null;
        }
    }

    public String id() {
        return id;
    }

    /** How a hit shows in a decision's reasons, and how examples name the list: {@code list:<id>}. */
    public String reasonId() {
        return "list:" + id;
    }

    public ListKind kind() {
        return kind;
    }

    public ListEntity entity() {
        return entity;
    }

    public String description() {
        return description;
    }

    public String owner() {
        return owner;
    }

    public String file() {
        return file;
    }

    public int line() {
        return line;
    }

    /** The values in the order the file lists them. */
    public List<ListEntry> entries() {
        return entries;
    }

    /** The value of this list the payment matches at its event time, or null. */
    public ListEntry match(PaymentEvent payment) {
        String key = entity.keyOf(payment);
        if (key == null || key.isEmpty()) {
            return null;
        }
        ListEntry e = bins != null ? bins.find(key) : exact.get(key);
        return e != null && e.activeAt(payment.eventTime()) ? e : null;
    }

    /** BIN prefixes and ranges: {@code 4000} or {@code 400000-400099}, same number of digits on both ends. */
    record BinRange(int digits, long from, long to) {
        static final int MIN_DIGITS = 4;
        static final int MAX_DIGITS = 8;

        /** Parses a prefix or range; the exception message says what is wrong in an analyst's words. */
        static BinRange parse(String value) {
            String v = value.replace(" ", "");
            int dash = v.indexOf('-');
            String a = dash < 0 ? v : v.substring(0, dash);
            String b = dash < 0 ? v : v.substring(dash + 1);
            if (!a.matches("\\d+") || !b.matches("\\d+")) {
                throw new IllegalArgumentException(
                        "'" + value + "' is not a BIN prefix (4000) or range (400000-400099): use digits only");
            }
            if (a.length() != b.length()) {
                throw new IllegalArgumentException(
                        "BIN range '" + value + "' must have the same number of digits on both ends (" + a.length()
                                + " and " + b.length() + ")");
            }
            if (a.length() > MAX_DIGITS) {
                // Not echoed: a value this long may be a whole card number.
                throw new IllegalArgumentException("a BIN has " + MIN_DIGITS + " to " + MAX_DIGITS
                        + " digits; this value has " + a.length() + " (card numbers never belong in a rule set)");
            }
            if (a.length() < MIN_DIGITS) {
                throw new IllegalArgumentException("BIN '" + value + "' must have " + MIN_DIGITS + " to " + MAX_DIGITS
                        + " digits, not " + a.length());
            }
            long from = Long.parseLong(a);
            long to = Long.parseLong(b);
            if (from > to) {
                throw new IllegalArgumentException(
                        "BIN range '" + value + "' runs backwards: write the lower end first");
            }
            return new BinRange(a.length(), from, to);
        }

        boolean overlaps(BinRange o) {
            return digits == o.digits && from <= o.to && o.from <= to;
        }

        /** Sorted, non-overlapping ranges per digit count; at most {@link #MAX_DIGITS} floor lookups per payment. */
        static final class Index {
            private record Slot(BinRange range, ListEntry entry) {}

            private final Map<Integer, TreeMap<Long, Slot>> byDigits = new TreeMap<>();

            void add(BinRange r, ListEntry e) {
                byDigits.computeIfAbsent(r.digits(), d -> new TreeMap<>()).put(r.from(), new Slot(r, e));
            }

            ListEntry find(String bin) {
                for (Map.Entry<Integer, TreeMap<Long, Slot>> g : byDigits.entrySet()) {
                    int d = g.getKey();
                    if (bin.length() < d) {
                        continue;
                    }
                    long x = digits(bin, d);
                    if (x < 0) {
                        continue;
                    }
                    Map.Entry<Long, Slot> floor = g.getValue().floorEntry(x);
                    if (floor != null && x <= floor.getValue().range().to()) {
                        return floor.getValue().entry();
                    }
                }
                return null;
            }

            private static long digits(String s, int n) {
                long x = 0;
                for (int i = 0; i < n; i++) {
                    char c = s.charAt(i);
                    if (c < '0' || c > '9') {
                        return -1;
                    }
                    x = x * 10 + (c - '0');
                }
                return x;
            }
        }
    }
}
