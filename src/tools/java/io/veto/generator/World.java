package io.veto.generator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The synthetic population behind the traffic: merchants (category, country, location, terminals),
 * customers (home city, devices, IPs) and their cards (PAN, spending profile, the merchants the
 * cardholder ever uses). Built deterministically from one seed; mutable only where the traffic
 * changes it (a DEVICE_CHANGE replaces a customer's device).
 */
final class World {

    /** A merchant: where it is, what it sells, how it takes cards. */
    static final class Merchant {
        final int index;
        final String id;
        final RefData.Mcc mcc;
        final int country;
        final int city;
        final String lat;
        final String lon;
        /** {@link #lat} and {@link #lon} as numbers: exactly what the job reads from the JSON. */
        final double latDeg;

        final double lonDeg;
        final boolean pos;
        final boolean ecom;
        final String[] terminals;

        Merchant(
                int index,
                String id,
                RefData.Mcc mcc,
                int country,
                int city,
                String lat,
                String lon,
                boolean pos,
                boolean ecom,
                String[] terminals) {
            this.index = index;
            this.id = id;
            this.mcc = mcc;
            this.country = country;
            this.city = city;
            this.lat = lat;
            this.lon = lon;
            this.latDeg = Double.parseDouble(lat);
            this.lonDeg = Double.parseDouble(lon);
            this.pos = pos;
            this.ecom = ecom;
            this.terminals = terminals;
        }
    }

    /** A customer: one to three cards, one or two devices, a home and a mobile IP. */
    static final class Customer {
        final String id;
        final int country;
        final int city;
        final String[] devices;
        final String homeIp;
        final String mobileIp;
        Card primary;
        /** All the customer's cards, the primary first. */
        final List<Card> cards = new ArrayList<>(3);

        Customer(String id, int country, int city, String[] devices, String homeIp, String mobileIp) {
            this.id = id;
            this.country = country;
            this.city = city;
            this.devices = devices;
            this.homeIp = homeIp;
            this.mobileIp = mobileIp;
        }
    }

    /** A card and its holder's habits. */
    static final class Card {
        final int index;
        final String key;
        final String pan;
        final Customer customer;
        final int country;
        final String currency;
        final double perEur;
        /** Median genuine ticket, in euros (log-normal around it). */
        final double medianEur;

        final double sigma;
        final double ecomShare;
        final int[] usualPos;
        final int[] usualEcom;
        final int[] occasionalPos;
        final int[] occasionalEcom;
        /** Sorted: every merchant the cardholder ever pays at. */
        final int[] known;

        Card(
                int index,
                String key,
                String pan,
                Customer customer,
                int country,
                String currency,
                double perEur,
                double medianEur,
                double sigma,
                double ecomShare,
                int[] usualPos,
                int[] usualEcom,
                int[] occasionalPos,
                int[] occasionalEcom) {
            this.index = index;
            this.key = key;
            this.pan = pan;
            this.customer = customer;
            this.country = country;
            this.currency = currency;
            this.perEur = perEur;
            this.medianEur = medianEur;
            this.sigma = sigma;
            this.ecomShare = ecomShare;
            this.usualPos = usualPos;
            this.usualEcom = usualEcom;
            this.occasionalPos = occasionalPos;
            this.occasionalEcom = occasionalEcom;
            int[] all = new int[usualPos.length + usualEcom.length + occasionalPos.length + occasionalEcom.length];
            int n = 0;
            for (int[] a : new int[][] {usualPos, usualEcom, occasionalPos, occasionalEcom}) {
                System.arraycopy(a, 0, all, n, a.length);
                n += a.length;
            }
            this.known = Arrays.stream(all).distinct().sorted().toArray();
        }

        boolean knows(int merchant) {
            return Arrays.binarySearch(known, merchant) >= 0;
        }

        /** The usual median ticket in the card's own currency. */
        double medianHome() {
            return medianEur * perEur;
        }
    }

    final RefData.Country[] countries;
    final RefData.City[] cities;
    final int[] cityCountry;
    final Merchant[] merchants;
    final Card[] cards;
    final List<Customer> customers;

    private final double[] cardCumWeight;

    final int[][] posByCity;
    final int[][] posByCountry;
    final int[][] ecomByCountry;
    final int[] posAll;
    final int[] ecomAll;
    /** Online digital goods / misc / telecom merchants: where stolen cards get tested. */
    final int[] testingPool;
    /** Online high-risk merchants (electronics, gambling, crypto, jewellery): the cash-out. */
    final int[] bigTicketEcom;
    /** High-risk merchants, online or not. */
    final int[] highRisk;

    World(GeneratorConfig config) {
        SplittableRandom rng = new SplittableRandom(config.seed());
        this.countries = RefData.COUNTRIES.toArray(new RefData.Country[0]);
        List<RefData.City> cityList = new ArrayList<>();
        List<Integer> cityCountryList = new ArrayList<>();
        for (int c = 0; c < countries.length; c++) {
            for (RefData.City city : countries[c].cities()) {
                cityList.add(city);
                cityCountryList.add(c);
            }
        }
        this.cities = cityList.toArray(new RefData.City[0]);
        this.cityCountry = cityCountryList.stream().mapToInt(Integer::intValue).toArray();

        this.merchants = buildMerchants(config.merchants(), rng);

        IntLists byCity = new IntLists(cities.length);
        IntLists posCountry = new IntLists(countries.length);
        IntLists ecomCountry = new IntLists(countries.length);
        IntLists misc = new IntLists(5); // 0 pos, 1 ecom, 2 testing, 3 big ticket ecom, 4 high risk
        for (Merchant m : merchants) {
            if (m.pos) {
                byCity.add(m.city, m.index);
                posCountry.add(m.country, m.index);
                misc.add(0, m.index);
            }
            if (m.ecom) {
                ecomCountry.add(m.country, m.index);
                misc.add(1, m.index);
                String code = m.mcc.code();
                if (m.mcc.digital() || code.equals("5999") || code.equals("4814")) {
                    misc.add(2, m.index);
                }
                if (m.mcc.highRisk()) {
                    misc.add(3, m.index);
                }
            }
            if (m.mcc.highRisk()) {
                misc.add(4, m.index);
            }
        }
        int[] everyone = new int[merchants.length];
        Arrays.setAll(everyone, i -> i);
        this.posByCity = byCity.toArrays();
        this.posByCountry = posCountry.toArrays();
        this.ecomByCountry = ecomCountry.toArrays();
        this.posAll = orElse(misc.toArray(0), everyone);
        this.ecomAll = orElse(misc.toArray(1), everyone);
        this.testingPool = misc.toArray(2).length >= 12 ? misc.toArray(2) : ecomAll;
        this.bigTicketEcom = orElse(misc.toArray(3), ecomAll);
        this.highRisk = orElse(misc.toArray(4), everyone);

        this.customers = new ArrayList<>();
        this.cards = new Card[config.cards()];
        this.cardCumWeight = new double[config.cards()];
        buildCards(rng);
    }

    private Merchant[] buildMerchants(int count, SplittableRandom rng) {
        double[] mccWeights =
                RefData.MCCS.stream().mapToDouble(RefData.Mcc::weight).toArray();
        double[] countryWeights = Arrays.stream(countries)
                .mapToDouble(RefData.Country::merchantWeight)
                .toArray();
        Merchant[] out = new Merchant[count];
        for (int i = 0; i < count; i++) {
            RefData.Mcc mcc = RefData.MCCS.get(pickWeighted(mccWeights, rng));
            int country = pickWeighted(countryWeights, rng);
            int city = pickCity(country, rng);
            RefData.City c = cities[city];
            double lat = c.lat() + rng.nextGaussian() * 0.03;
            double lon = c.lon() + rng.nextGaussian() * 0.03 / Math.cos(Math.toRadians(c.lat()));
            boolean pos = rng.nextDouble() < mcc.posShare();
            boolean ecom = !pos || rng.nextDouble() < 0.15;
            String[] terminals = new String[0];
            if (pos) {
                terminals = new String[1 + rng.nextInt(5)];
                for (int t = 0; t < terminals.length; t++) {
                    terminals[t] = String.format(Locale.ROOT, "T%06d%02d", i, t + 1);
                }
            }
            out[i] = new Merchant(
                    i,
                    String.format(Locale.ROOT, "mer-%05d", i),
                    mcc,
                    country,
                    city,
                    String.format(Locale.ROOT, "%.5f", lat),
                    String.format(Locale.ROOT, "%.5f", lon),
                    pos,
                    ecom,
                    terminals);
        }
        return out;
    }

    private void buildCards(SplittableRandom rng) {
        double[] issuerWeights = Arrays.stream(countries)
                .mapToDouble(RefData.Country::cardWeight)
                .toArray();
        Set<String> pans = new HashSet<>();
        double total = 0;
        int cardIndex = 0;
        while (cardIndex < cards.length) {
            double r = rng.nextDouble();
            int holding = Math.min(r < 0.78 ? 1 : r < 0.95 ? 2 : 3, cards.length - cardIndex);
            int country = pickWeighted(issuerWeights, rng);
            int city = pickCity(country, rng);
            String[] devices = new String[rng.nextDouble() < 0.6 ? 1 : 2];
            for (int d = 0; d < devices.length; d++) {
                devices[d] = newDeviceId(rng);
            }
            int[] prefixes = countries[country].ipPrefixes();
            Customer customer = new Customer(
                    String.format(Locale.ROOT, "cust-%06d", customers.size()),
                    country,
                    city,
                    devices,
                    ip(prefixes[rng.nextInt(prefixes.length)], rng),
                    ip(prefixes[rng.nextInt(prefixes.length)], rng));
            customers.add(customer);
            for (int h = 0; h < holding; h++, cardIndex++) {
                Card card = buildCard(cardIndex, customer, rng, pans);
                cards[cardIndex] = card;
                customer.cards.add(card);
                if (customer.primary == null) {
                    customer.primary = card;
                }
                // activity skew: log-normal, capped so that even the busiest genuine card stays human
                total += Math.min(Math.exp(rng.nextGaussian()), 25.0);
                cardCumWeight[cardIndex] = total;
            }
        }
    }

    private Card buildCard(int index, Customer customer, SplittableRandom rng, Set<String> pans) {
        RefData.Country home = countries[customer.country];
        String pan;
        do {
            StringBuilder sb = new StringBuilder(16);
            sb.append(home.bins().get(rng.nextInt(home.bins().size())));
            while (sb.length() < 15) {
                sb.append((char) ('0' + rng.nextInt(10)));
            }
            sb.append((char) ('0' + Luhn.checkDigit(sb)));
            pan = sb.toString();
        } while (!pans.add(pan));

        double medianEur = Math.exp(Math.log(10) + rng.nextDouble() * (Math.log(150) - Math.log(10)));
        double sigma = 0.35 + 0.4 * rng.nextDouble();
        double ecomShare = 0.1 + 0.5 * rng.nextDouble() * rng.nextDouble();

        int[] homeCityPos = orElse(posByCity[customer.city], orElse(posByCountry[customer.country], posAll));
        int[] homeCountryPos = orElse(posByCountry[customer.country], posAll);
        int[] homeEcom = orElse(ecomByCountry[customer.country], ecomAll);
        int[] usualPos = distinctFrom(rng, 3 + rng.nextInt(5), homeCityPos, homeCityPos);
        int[] usualEcom = distinctFrom(rng, 1 + rng.nextInt(3), homeEcom, ecomAll);
        // occasional: elsewhere at home, and a trip abroad now and then
        int travelCity;
        do {
            travelCity = rng.nextInt(cities.length);
        } while (cityCountry[travelCity] == customer.country && countries.length > 1);
        int[] travelPos = orElse(posByCity[travelCity], posAll);
        int[] occasionalPos = concat(
                distinctFrom(rng, 3 + rng.nextInt(5), homeCountryPos, homeCountryPos),
                distinctFrom(rng, 1 + rng.nextInt(3), travelPos, travelPos));
        int[] occasionalEcom = distinctFrom(rng, 2 + rng.nextInt(4), ecomAll, ecomAll);

        return new Card(
                index,
                String.format(Locale.ROOT, "card-%06d", index),
                pan,
                customer,
                customer.country,
                home.currency(),
                home.perEur(),
                medianEur,
                sigma,
                ecomShare,
                usualPos,
                usualEcom,
                occasionalPos,
                occasionalEcom);
    }

    /** A card, the busier ones (by their activity weight) more often. */
    Card pickCard(SplittableRandom rng) {
        double x = rng.nextDouble() * cardCumWeight[cardCumWeight.length - 1];
        int i = Arrays.binarySearch(cardCumWeight, x);
        if (i < 0) {
            i = -i - 1;
        }
        return cards[Math.min(i, cards.length - 1)];
    }

    /** Great-circle distance between two merchants' locations, in km (haversine, mean Earth radius). */
    static double km(Merchant a, Merchant b) {
        return km(a.latDeg, a.lonDeg, b.latDeg, b.lonDeg);
    }

    static double km(double lat1, double lon1, double lat2, double lon2) {
        double dLat = Math.toRadians(lat2 - lat1);
        double dLon = Math.toRadians(lon2 - lon1);
        double h = Math.sin(dLat / 2) * Math.sin(dLat / 2)
                + Math.cos(Math.toRadians(lat1))
                        * Math.cos(Math.toRadians(lat2))
                        * Math.sin(dLon / 2)
                        * Math.sin(dLon / 2);
        return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(h)));
    }

    String foreignIp(int homeCountry, SplittableRandom rng) {
        if (rng.nextDouble() < 0.5) {
            return ip(RefData.HOSTING_IP_PREFIXES[rng.nextInt(RefData.HOSTING_IP_PREFIXES.length)], rng);
        }
        int c;
        do {
            c = rng.nextInt(countries.length);
        } while (c == homeCountry);
        int[] prefixes = countries[c].ipPrefixes();
        return ip(prefixes[rng.nextInt(prefixes.length)], rng);
    }

    static String newDeviceId(SplittableRandom rng) {
        return "dev-" + String.format(Locale.ROOT, "%012x", rng.nextLong() & 0xFFFF_FFFF_FFFFL);
    }

    private int pickCity(int country, SplittableRandom rng) {
        int first = -1;
        int n = 0;
        for (int i = 0; i < cityCountry.length; i++) {
            if (cityCountry[i] == country) {
                if (first < 0) {
                    first = i;
                }
                n++;
            }
        }
        // the first (capital / largest) city of a country is the most likely
        double[] w = new double[n];
        for (int k = 0; k < n; k++) {
            w[k] = 1.0 / (k + 1);
        }
        return first + pickWeighted(w, rng);
    }

    static int pickWeighted(double[] weights, SplittableRandom rng) {
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double x = rng.nextDouble() * total;
        for (int i = 0; i < weights.length; i++) {
            x -= weights[i];
            if (x < 0) {
                return i;
            }
        }
        return weights.length - 1;
    }

    private static String ip(int prefix, SplittableRandom rng) {
        return (prefix >> 8) + "." + (prefix & 0xFF) + "." + rng.nextInt(256) + "." + (1 + rng.nextInt(254));
    }

    /** Up to n distinct entries of {@code from} (fewer if it is smaller); {@code fallback} when empty. */
    private static int[] distinctFrom(SplittableRandom rng, int n, int[] from, int[] fallback) {
        int[] pool = from.length > 0 ? from : fallback;
        int k = Math.min(n, pool.length);
        int[] out = new int[k];
        int filled = 0;
        int attempts = 0;
        while (filled < k && attempts < 50 * k) {
            attempts++;
            int candidate = pool[rng.nextInt(pool.length)];
            boolean seen = false;
            for (int i = 0; i < filled; i++) {
                if (out[i] == candidate) {
                    seen = true;
                    break;
                }
            }
            if (!seen) {
                out[filled++] = candidate;
            }
        }
        return Arrays.copyOf(out, filled);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int[] orElse(int[] a, int[] fallback) {
        return a.length > 0 ? a : fallback;
    }

    /** A fixed number of growable int lists. */
    private static final class IntLists {
        private final int[][] data;
        private final int[] sizes;

        IntLists(int n) {
            data = new int[n][8];
            sizes = new int[n];
        }

        void add(int list, int value) {
            if (sizes[list] == data[list].length) {
                data[list] = Arrays.copyOf(data[list], data[list].length * 2);
            }
            data[list][sizes[list]++] = value;
        }

        int[] toArray(int list) {
            return Arrays.copyOf(data[list], sizes[list]);
        }

        int[][] toArrays() {
            int[][] out = new int[data.length][];
            for (int i = 0; i < data.length; i++) {
                out[i] = toArray(i);
            }
            return out;
        }
    }
}
