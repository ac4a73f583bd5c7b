//! Real places for coherent addresses: countries (ISO 3166 alpha-2 and alpha-3 codes, name, ISO 4217
//! currency) with a few real cities, their state or region and a postal code template in the country's real
//! format (`#` a digit, `@` a capital letter) narrowed to the city's range. A record's country code, country
//! name, city, state, postal code and currency all come from one row.

use rand::RngExt;

pub struct Country {
    pub alpha2: &'static str,
    pub alpha3: &'static str,
    pub name: &'static str,
    pub currency: &'static str,
    /// (city, state or region, postal code template).
    pub cities: &'static [(&'static str, &'static str, &'static str)],
}

macro_rules! countries {
    ($(($a2:literal, $a3:literal, $name:literal, $cur:literal, [$(($city:literal, $state:literal, $zip:literal)),+ $(,)?])),+ $(,)?) => {
        &[$(Country { alpha2: $a2, alpha3: $a3, name: $name, currency: $cur, cities: &[$(($city, $state, $zip)),+] }),+]
    };
}

pub const COUNTRIES: &[Country] = countries![
    (
        "US",
        "USA",
        "United States",
        "USD",
        [
            ("New York", "NY", "100##"),
            ("Los Angeles", "CA", "900##"),
            ("Chicago", "IL", "606##"),
            ("Houston", "TX", "770##"),
            ("Seattle", "WA", "981##")
        ]
    ),
    (
        "CA",
        "CAN",
        "Canada",
        "CAD",
        [("Toronto", "ON", "M5V #@#"), ("Vancouver", "BC", "V6B #@#"), ("Montreal", "QC", "H2X #@#")]
    ),
    (
        "MX",
        "MEX",
        "Mexico",
        "MXN",
        [("Mexico City", "CDMX", "06###"), ("Guadalajara", "Jalisco", "44###"), ("Monterrey", "Nuevo Leon", "64###")]
    ),
    (
        "BR",
        "BRA",
        "Brazil",
        "BRL",
        [("Sao Paulo", "SP", "01###-###"), ("Rio de Janeiro", "RJ", "20###-###"), ("Brasilia", "DF", "70###-###")]
    ),
    ("AR", "ARG", "Argentina", "ARS", [("Buenos Aires", "CABA", "C10##@@@"), ("Cordoba", "Cordoba", "X50##@@@")]),
    (
        "CL",
        "CHL",
        "Chile",
        "CLP",
        [("Santiago", "Santiago Metropolitan", "83#####"), ("Valparaiso", "Valparaiso", "23#####")]
    ),
    ("CO", "COL", "Colombia", "COP", [("Bogota", "Bogota DC", "1100##"), ("Medellin", "Antioquia", "0500##")]),
    (
        "GB",
        "GBR",
        "United Kingdom",
        "GBP",
        [
            ("London", "England", "SW1A #@@"),
            ("Manchester", "England", "M1 #@@"),
            ("Edinburgh", "Scotland", "EH1 #@@"),
            ("Cardiff", "Wales", "CF10 #@@")
        ]
    ),
    ("IE", "IRL", "Ireland", "EUR", [("Dublin", "Leinster", "D02 @###"), ("Cork", "Munster", "T12 @###")]),
    (
        "FR",
        "FRA",
        "France",
        "EUR",
        [
            ("Paris", "Ile-de-France", "750##"),
            ("Lyon", "Auvergne-Rhone-Alpes", "6900#"),
            ("Marseille", "Provence-Alpes-Cote d'Azur", "130##"),
            ("Toulouse", "Occitanie", "310##")
        ]
    ),
    (
        "DE",
        "DEU",
        "Germany",
        "EUR",
        [
            ("Berlin", "Berlin", "101##"),
            ("Munich", "Bavaria", "803##"),
            ("Hamburg", "Hamburg", "201##"),
            ("Cologne", "North Rhine-Westphalia", "506##"),
            ("Frankfurt", "Hesse", "603##")
        ]
    ),
    (
        "NL",
        "NLD",
        "Netherlands",
        "EUR",
        [
            ("Amsterdam", "North Holland", "10## @@"),
            ("Rotterdam", "South Holland", "30## @@"),
            ("Utrecht", "Utrecht", "35## @@")
        ]
    ),
    (
        "BE",
        "BEL",
        "Belgium",
        "EUR",
        [("Brussels", "Brussels", "10#0"), ("Antwerp", "Antwerp", "20#0"), ("Ghent", "East Flanders", "90#0")]
    ),
    ("LU", "LUX", "Luxembourg", "EUR", [("Luxembourg", "Luxembourg", "L-1###")]),
    (
        "ES",
        "ESP",
        "Spain",
        "EUR",
        [
            ("Madrid", "Madrid", "280##"),
            ("Barcelona", "Catalonia", "080##"),
            ("Valencia", "Valencia", "460##"),
            ("Seville", "Andalusia", "410##")
        ]
    ),
    ("PT", "PRT", "Portugal", "EUR", [("Lisbon", "Lisbon", "1###-###"), ("Porto", "Porto", "40##-###")]),
    (
        "IT",
        "ITA",
        "Italy",
        "EUR",
        [
            ("Rome", "Lazio", "001##"),
            ("Milan", "Lombardy", "201##"),
            ("Naples", "Campania", "801##"),
            ("Turin", "Piedmont", "101##")
        ]
    ),
    (
        "CH",
        "CHE",
        "Switzerland",
        "CHF",
        [
            ("Zurich", "Zurich", "80##"),
            ("Geneva", "Geneva", "12##"),
            ("Basel", "Basel-Stadt", "40##"),
            ("Bern", "Bern", "30##")
        ]
    ),
    (
        "AT",
        "AUT",
        "Austria",
        "EUR",
        [("Vienna", "Vienna", "1##0"), ("Graz", "Styria", "80##"), ("Salzburg", "Salzburg", "50##")]
    ),
    ("DK", "DNK", "Denmark", "DKK", [("Copenhagen", "Capital Region", "1###"), ("Aarhus", "Central Denmark", "80##")]),
    (
        "SE",
        "SWE",
        "Sweden",
        "SEK",
        [
            ("Stockholm", "Stockholm", "1## ##"),
            ("Gothenburg", "Vastra Gotaland", "4## ##"),
            ("Malmo", "Skane", "2## ##")
        ]
    ),
    ("NO", "NOR", "Norway", "NOK", [("Oslo", "Oslo", "0###"), ("Bergen", "Vestland", "50##")]),
    ("FI", "FIN", "Finland", "EUR", [("Helsinki", "Uusimaa", "00###"), ("Tampere", "Pirkanmaa", "33###")]),
    (
        "PL",
        "POL",
        "Poland",
        "PLN",
        [("Warsaw", "Masovian", "00-###"), ("Krakow", "Lesser Poland", "30-###"), ("Gdansk", "Pomeranian", "80-###")]
    ),
    ("CZ", "CZE", "Czechia", "CZK", [("Prague", "Prague", "1## ##"), ("Brno", "South Moravian", "6## ##")]),
    ("HU", "HUN", "Hungary", "HUF", [("Budapest", "Budapest", "1###"), ("Debrecen", "Hajdu-Bihar", "40##")]),
    ("GR", "GRC", "Greece", "EUR", [("Athens", "Attica", "10# ##"), ("Thessaloniki", "Central Macedonia", "54# ##")]),
    ("TR", "TUR", "Turkey", "TRY", [("Istanbul", "Istanbul", "34###"), ("Ankara", "Ankara", "06###")]),
    ("IL", "ISR", "Israel", "ILS", [("Tel Aviv", "Tel Aviv", "6######"), ("Jerusalem", "Jerusalem", "9######")]),
    (
        "ZA",
        "ZAF",
        "South Africa",
        "ZAR",
        [
            ("Cape Town", "Western Cape", "80##"),
            ("Johannesburg", "Gauteng", "20##"),
            ("Durban", "KwaZulu-Natal", "40##")
        ]
    ),
    ("NG", "NGA", "Nigeria", "NGN", [("Lagos", "Lagos", "100###"), ("Abuja", "FCT", "900###")]),
    ("KE", "KEN", "Kenya", "KES", [("Nairobi", "Nairobi", "00###"), ("Mombasa", "Mombasa", "80###")]),
    ("EG", "EGY", "Egypt", "EGP", [("Cairo", "Cairo", "11###"), ("Alexandria", "Alexandria", "21###")]),
    (
        "IN",
        "IND",
        "India",
        "INR",
        [
            ("Mumbai", "Maharashtra", "400###"),
            ("Delhi", "Delhi", "110###"),
            ("Bengaluru", "Karnataka", "560###"),
            ("Chennai", "Tamil Nadu", "600###")
        ]
    ),
    (
        "CN",
        "CHN",
        "China",
        "CNY",
        [("Beijing", "Beijing", "100###"), ("Shanghai", "Shanghai", "200###"), ("Shenzhen", "Guangdong", "518###")]
    ),
    (
        "JP",
        "JPN",
        "Japan",
        "JPY",
        [("Tokyo", "Tokyo", "1##-####"), ("Osaka", "Osaka", "5##-####"), ("Kyoto", "Kyoto", "60#-####")]
    ),
    ("KR", "KOR", "South Korea", "KRW", [("Seoul", "Seoul", "0####"), ("Busan", "Busan", "4####")]),
    ("SG", "SGP", "Singapore", "SGD", [("Singapore", "Singapore", "######")]),
    ("TH", "THA", "Thailand", "THB", [("Bangkok", "Bangkok", "10###"), ("Chiang Mai", "Chiang Mai", "50###")]),
    ("ID", "IDN", "Indonesia", "IDR", [("Jakarta", "Jakarta", "1####"), ("Surabaya", "East Java", "60###")]),
    ("PH", "PHL", "Philippines", "PHP", [("Manila", "Metro Manila", "10##"), ("Cebu City", "Cebu", "60##")]),
    ("VN", "VNM", "Vietnam", "VND", [("Hanoi", "Hanoi", "100000"), ("Ho Chi Minh City", "Ho Chi Minh City", "700000")]),
    (
        "AU",
        "AUS",
        "Australia",
        "AUD",
        [("Sydney", "NSW", "20##"), ("Melbourne", "VIC", "30##"), ("Brisbane", "QLD", "40##"), ("Perth", "WA", "60##")]
    ),
    ("NZ", "NZL", "New Zealand", "NZD", [("Auckland", "Auckland", "10##"), ("Wellington", "Wellington", "60##")]),
];

/// One place: a country row and one of its cities; its postal code is drawn from `postal_seed` when asked.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub country: usize,
    pub city: usize,
    pub postal_seed: u64,
}

impl Place {
    pub fn random<R: RngExt + ?Sized>(rng: &mut R) -> Place {
        Place::in_country(rng.random_range(0..COUNTRIES.len()), rng)
    }

    pub fn in_country<R: RngExt + ?Sized>(country: usize, rng: &mut R) -> Place {
        let city = rng.random_range(0..COUNTRIES[country].cities.len());
        Place { country, city, postal_seed: rng.random() }
    }

    /// The city's postal code template filled from the seed (the same code each time it is asked).
    pub fn postal_code(&self) -> String {
        let mut x = self.postal_seed;
        let mut next = |n: u64| {
            // splitmix64: a few independent digits from one seed.
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % n
        };
        self.row().cities[self.city]
            .2
            .chars()
            .map(|c| match c {
                '#' => (b'0' + next(10) as u8) as char,
                '@' => (b'A' + next(26) as u8) as char,
                c => c,
            })
            .collect()
    }

    pub fn row(&self) -> &'static Country {
        &COUNTRIES[self.country]
    }

    pub fn city(&self) -> &'static str {
        self.row().cities[self.city].0
    }

    pub fn state(&self) -> &'static str {
        self.row().cities[self.city].1
    }
}

/// The row whose code, alpha-3 code, name or currency is `v` (case-insensitive); for a currency shared by
/// several countries (EUR), one of them at random.
pub fn find<R: RngExt + ?Sized>(v: &str, rng: &mut R) -> Option<usize> {
    let hits: Vec<usize> = COUNTRIES
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.alpha2.eq_ignore_ascii_case(v)
                || c.alpha3.eq_ignore_ascii_case(v)
                || c.name.eq_ignore_ascii_case(v)
                || c.currency.eq_ignore_ascii_case(v)
        })
        .map(|(i, _)| i)
        .collect();
    (!hits.is_empty()).then(|| hits[rng.random_range(0..hits.len())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn rows_are_well_formed_and_postal_codes_follow_their_template() {
        assert!(COUNTRIES.len() >= 40);
        for c in COUNTRIES {
            assert!(c.alpha2.len() == 2 && c.alpha3.len() == 3 && c.currency.len() == 3, "{}", c.name);
            assert!(c.alpha3.starts_with(&c.alpha2[..1]), "{}", c.name);
        }
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(3);
        let de = find("DEU", &mut rng).unwrap();
        for _ in 0..20 {
            let p = Place::in_country(de, &mut rng);
            let code = p.postal_code();
            assert_eq!(code, p.postal_code(), "one code per place");
            assert_eq!(code.len(), 5);
            assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");
        }
        assert_eq!(COUNTRIES[find("gb", &mut rng).unwrap()].currency, "GBP");
        assert_eq!(COUNTRIES[find("EUR", &mut rng).unwrap()].currency, "EUR");
    }
}
