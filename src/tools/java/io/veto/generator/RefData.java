package io.veto.generator;

import java.util.List;

/**
 * Static reference data the synthetic world is built from: issuer and merchant countries (with
 * currency, rough FX rate, 6-digit BINs, cities and IPv4 prefixes) and merchant category codes (with
 * their POS/ECOM mix and typical ticket size). All values are plausible-looking but invented: the
 * BINs and IP prefixes are not meant to identify real issuers or networks.
 */
final class RefData {
    private RefData() {}

    /** A city a merchant (and a customer) can be located in. */
    record City(String name, double lat, double lon) {}

    /**
     * A country.
     *
     * @param perEur units of the country's currency per euro (amounts are modelled in euros and
     *     converted)
     * @param cardWeight share of issued cards (0: merchants only, e.g. travel/fraud destinations)
     * @param merchantWeight share of merchants
     * @param ipPrefixes first two octets of typical consumer IPv4 addresses, as {@code a * 256 + b}
     */
    record Country(
            String code,
            String currency,
            double perEur,
            double cardWeight,
            double merchantWeight,
            List<String> bins,
            List<City> cities,
            int[] ipPrefixes) {}

    /**
     * A merchant category.
     *
     * @param posShare probability that a merchant of this category takes card-present payments (the
     *     rest are online); 0 = online only
     * @param amountFactor typical ticket relative to a card's usual median
     * @param highRisk gambling, crypto/quasi-cash, jewellery, electronics: favoured by fraudsters
     * @param digital digital goods: favoured for card testing
     */
    record Mcc(
            String code,
            String label,
            double weight,
            double posShare,
            double amountFactor,
            boolean highRisk,
            boolean digital) {}

    static final List<Country> COUNTRIES = List.of(
            country(
                    "DE",
                    "EUR",
                    1.0,
                    0.22,
                    0.20,
                    bins("415461", "427742", "535110", "552690"),
                    cities(
                            city("Berlin", 52.5200, 13.4050),
                            city("Munich", 48.1372, 11.5756),
                            city("Hamburg", 53.5511, 9.9937),
                            city("Frankfurt", 50.1109, 8.6821)),
                    ips(84, 128, 91, 64, 93, 192, 178, 0)),
            country(
                    "FR",
                    "EUR",
                    1.0,
                    0.14,
                    0.14,
                    bins("497010", "497355", "513283", "533317"),
                    cities(
                            city("Paris", 48.8566, 2.3522),
                            city("Lyon", 45.7640, 4.8357),
                            city("Marseille", 43.2965, 5.3698)),
                    ips(82, 64, 90, 16, 176, 128)),
            country(
                    "ES",
                    "EUR",
                    1.0,
                    0.08,
                    0.08,
                    bins("454881", "491371", "540064"),
                    cities(city("Madrid", 40.4168, -3.7038), city("Barcelona", 41.3851, 2.1734)),
                    ips(83, 32, 88, 0, 79, 144)),
            country(
                    "IT",
                    "EUR",
                    1.0,
                    0.08,
                    0.08,
                    bins("402360", "479250", "532409"),
                    cities(city("Rome", 41.9028, 12.4964), city("Milan", 45.4642, 9.1900)),
                    ips(79, 0, 93, 32, 151, 16)),
            country(
                    "NL",
                    "EUR",
                    1.0,
                    0.06,
                    0.06,
                    bins("446281", "523940", "557701"),
                    cities(city("Amsterdam", 52.3676, 4.9041), city("Rotterdam", 51.9244, 4.4777)),
                    ips(82, 168, 145, 128, 84, 24)),
            country(
                    "GB",
                    "GBP",
                    0.85,
                    0.14,
                    0.13,
                    bins("465858", "475129", "539923", "492181"),
                    cities(city("London", 51.5072, -0.1276), city("Manchester", 53.4808, -2.2426)),
                    ips(81, 96, 86, 128, 90, 192)),
            country(
                    "US",
                    "USD",
                    1.08,
                    0.15,
                    0.15,
                    bins("414720", "426684", "517805", "542418", "222300"),
                    cities(
                            city("New York", 40.7128, -74.0060),
                            city("Chicago", 41.8781, -87.6298),
                            city("San Francisco", 37.7749, -122.4194)),
                    ips(73, 0, 24, 16, 98, 200, 67, 160)),
            country(
                    "PL",
                    "PLN",
                    4.30,
                    0.05,
                    0.05,
                    bins("404117", "520191", "537004"),
                    cities(city("Warsaw", 52.2297, 21.0122), city("Krakow", 50.0647, 19.9450)),
                    ips(83, 0, 89, 64, 178, 36)),
            country(
                    "SE",
                    "SEK",
                    11.2,
                    0.04,
                    0.03,
                    bins("457123", "520473"),
                    cities(city("Stockholm", 59.3293, 18.0686)),
                    ips(78, 64, 83, 248)),
            country(
                    "CH",
                    "CHF",
                    0.95,
                    0.04,
                    0.03,
                    bins("404159", "546299"),
                    cities(city("Zurich", 47.3769, 8.5417)),
                    ips(85, 0, 178, 192)),
            // merchant-only countries: travel destinations and where stolen cards get cashed out
            country(
                    "TR",
                    "TRY",
                    35.0,
                    0.0,
                    0.012,
                    bins(),
                    cities(city("Istanbul", 41.0082, 28.9784)),
                    ips(88, 224, 78, 160)),
            country(
                    "BR",
                    "BRL",
                    5.9,
                    0.0,
                    0.01,
                    bins(),
                    cities(city("Sao Paulo", -23.5505, -46.6333)),
                    ips(177, 0, 189, 32)),
            country(
                    "SG",
                    "SGD",
                    1.45,
                    0.0,
                    0.01,
                    bins(),
                    cities(city("Singapore", 1.3521, 103.8198)),
                    ips(116, 88, 175, 156)),
            country(
                    "AE",
                    "AED",
                    3.97,
                    0.0,
                    0.008,
                    bins(),
                    cities(city("Dubai", 25.2048, 55.2708)),
                    ips(94, 200, 86, 96)));

    /** Hosting/proxy ranges fraudsters' traffic often comes from. */
    static final int[] HOSTING_IP_PREFIXES = {45 * 256 + 137, 185 * 256 + 220, 193 * 256 + 239, 104 * 256 + 244};

    static final List<Mcc> MCCS = List.of(
            new Mcc("5411", "grocery", 0.20, 0.92, 1.0, false, false),
            new Mcc("5812", "restaurants", 0.12, 1.0, 1.1, false, false),
            new Mcc("5814", "fast food", 0.08, 0.95, 0.35, false, false),
            new Mcc("5541", "fuel", 0.07, 1.0, 1.2, false, false),
            new Mcc("4121", "taxi", 0.05, 0.5, 0.5, false, false),
            new Mcc("4111", "transit", 0.03, 0.8, 0.2, false, false),
            new Mcc("5311", "department store", 0.05, 0.6, 1.4, false, false),
            new Mcc("5999", "misc retail", 0.08, 0.5, 0.8, false, false),
            new Mcc("5691", "clothing", 0.05, 0.5, 1.5, false, false),
            new Mcc("5912", "pharmacy", 0.05, 0.9, 0.5, false, false),
            new Mcc("5732", "electronics", 0.045, 0.4, 2.0, true, false),
            new Mcc("5816", "digital goods", 0.08, 0.0, 0.3, false, true),
            new Mcc("4814", "telecom", 0.03, 0.0, 0.8, false, false),
            new Mcc("5944", "jewelry", 0.01, 0.8, 2.5, true, false),
            new Mcc("7995", "gambling", 0.015, 0.0, 1.0, true, false),
            new Mcc("6051", "crypto / quasi-cash", 0.015, 0.0, 1.5, true, false));

    private static Country country(
            String code,
            String currency,
            double perEur,
            double cardWeight,
            double merchantWeight,
            List<String> bins,
            List<City> cities,
            int[] ips) {
        return new Country(code, currency, perEur, cardWeight, merchantWeight, bins, cities, ips);
    }

    private static List<String> bins(String... bins) {
        return List.of(bins);
    }

    private static List<City> cities(City... cities) {
        return List.of(cities);
    }

    private static City city(String name, double lat, double lon) {
        return new City(name, lat, lon);
    }

    private static int[] ips(int... octetPairs) {
        int[] out = new int[octetPairs.length / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = octetPairs[2 * i] * 256 + octetPairs[2 * i + 1];
        }
        return out;
    }
}
