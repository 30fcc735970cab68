//! The tenants a sandbox seeds, always in the same order: the first is Contoso, in the store the
//! sandbox has always used; every other one has a name of its own, a seed drawn from the
//! sandbox's seed and its place, and a store file of its own under `tenants/`. A tenant's id
//! comes from its seed, so the same seed and place give the same tenant on any machine.

use std::path::{Path, PathBuf};

/// The most tenants one sandbox serves: each is a SQLite store with its own file handles (three
/// in WAL mode), and a few hundred of them would meet a common limit of 1,024 open files.
pub const MAX_TENANTS: usize = 200;

/// (slug, name) of the tenants after the first, in the order they are seeded: Microsoft's own
/// fictitious companies first, then a few more of the same kind. Past the end of the list the
/// names come round again with a number (`contoso2.sandbox`, "Contoso 2").
const NAMES: &[(&str, &str)] = &[
    ("contoso", "Contoso"),
    ("fabrikam", "Fabrikam"),
    ("northwind", "Northwind Traders"),
    ("adatum", "A. Datum Corporation"),
    ("adventureworks", "Adventure Works Cycles"),
    ("alpineskihouse", "Alpine Ski House"),
    ("bellowscollege", "Bellows College"),
    ("bestforyouorganics", "Best For You Organics"),
    ("blueyonderairlines", "Blue Yonder Airlines"),
    ("cpandl", "City Power & Light"),
    ("cohovineyard", "Coho Vineyard"),
    ("cohowinery", "Coho Winery"),
    ("consolidatedmessenger", "Consolidated Messenger"),
    ("contosopharma", "Contoso Pharmaceuticals"),
    ("contososuites", "Contoso Suites"),
    ("fabrikamresidences", "Fabrikam Residences"),
    ("firstupconsultants", "First Up Consultants"),
    ("fourthcoffee", "Fourth Coffee"),
    ("graphicdesigninstitute", "Graphic Design Institute"),
    ("humongousinsurance", "Humongous Insurance"),
    ("lamnahealthcare", "Lamna Healthcare"),
    (
        "libertysbakery",
        "Liberty's Delightful Sinful Bakery & Cafe",
    ),
    ("litware", "Litware"),
    ("lucernepublishing", "Lucerne Publishing"),
    ("margiestravel", "Margie's Travel"),
    ("munsonspickles", "Munson's Pickles and Preserves Farm"),
    ("nodpublishers", "Nod Publishers"),
    ("proseware", "Proseware"),
    ("relecloud", "Relecloud"),
    ("schooloffineart", "School of Fine Art"),
    ("southridgevideo", "Southridge Video"),
    ("tailspintoys", "Tailspin Toys"),
    ("tailwindtraders", "Tailwind Traders"),
    ("treyresearch", "Trey Research"),
    ("thephonecompany", "The Phone Company"),
    ("vanarsdel", "VanArsdel"),
    ("wideworldimporters", "Wide World Importers"),
    ("wingtiptoys", "Wingtip Toys"),
    ("woodgrovebank", "Woodgrove Bank"),
    ("fabrikamfiber", "Fabrikam Fiber"),
    ("contosouniversity", "Contoso University"),
    ("lakeshoreretail", "Lakeshore Retail"),
    ("baldwinmuseum", "Baldwin Museum of Science"),
    ("northwindhealth", "Northwind Health"),
    ("awesomecomputers", "Awesome Computers"),
    ("harborviewlogistics", "Harborview Logistics"),
    ("pinecrestdental", "Pinecrest Dental"),
    ("riverbendmanufacturing", "Riverbend Manufacturing"),
    ("summitlegal", "Summit Legal Partners"),
    ("meadowlarkfoods", "Meadowlark Foods"),
    ("ironwoodengineering", "Ironwood Engineering"),
    ("bluefinmarine", "Bluefin Marine"),
    ("crestlineschools", "Crestline Schools"),
    ("oakhollowclinic", "Oak Hollow Clinic"),
    ("silverpinehotels", "Silverpine Hotels"),
    ("granitepeakcredit", "Granite Peak Credit Union"),
];

/// The top-level domain every sandbox tenant's default domain ends in.
const SUFFIX: &str = "sandbox";

/// Where the stores of the tenants after the first live, inside the data dir.
pub const TENANTS_DIR: &str = "tenants";

/// The fixed facts of the `index`th tenant of a seeding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub index: usize,
    /// The default verified domain, where its users live: `fabrikam.sandbox`.
    pub domain: String,
    /// The company's name: "Fabrikam".
    pub company: String,
    pub seed: u64,
}

impl Planned {
    /// The tenant's display name (`/organization`, ARM's tenant list): "Fabrikam (sandbox)".
    pub fn display_name(&self) -> String {
        format!("{} ({SUFFIX})", self.company)
    }

    /// The name its licences are bought under (`subscribedSkus`' `accountName`).
    pub fn account_name(&self) -> String {
        format!("{} Sandbox", self.company)
    }
}

/// The `index`th tenant of a sandbox seeded with `seed`. The first keeps `seed` itself, so a
/// one-tenant sandbox is the one it always was; the others' seeds are spread apart by the golden
/// ratio's constant, so neighbours share no random stream.
pub fn planned(index: usize, seed: u64) -> Planned {
    let (slug, company) = NAMES[index % NAMES.len()];
    let round = index / NAMES.len();
    let (slug, company) = match round {
        0 => (slug.to_string(), company.to_string()),
        r => (format!("{slug}{}", r + 1), format!("{company} {}", r + 1)),
    };
    Planned {
        index,
        domain: format!("{slug}.{SUFFIX}"),
        company,
        seed: seed.wrapping_add((index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
    }
}

/// The default domains of the first `n` tenants a sandbox seeds, in order (`contoso.sandbox`,
/// `fabrikam.sandbox`, ...): what a client names them by before the sandbox runs.
pub fn seeded_domains(n: usize) -> Vec<String> {
    (0..n).map(|i| planned(i, 0).domain).collect()
}

/// Refuses a tenant count the sandbox does not serve, in words.
pub fn check_tenant_count(n: usize) -> Result<(), String> {
    if n == 0 || n > MAX_TENANTS {
        return Err(format!(
            "{n} tenants: the sandbox serves from 1 to {MAX_TENANTS} tenants"
        ));
    }
    Ok(())
}

/// The store file of the `index`th tenant: the data dir's `sandbox.sqlite3` for the first (where
/// a one-tenant sandbox has always kept it), `tenants/<domain>.sqlite3` for the others.
pub fn store_file(data_dir: &Path, plan: &Planned) -> PathBuf {
    if plan.index == 0 {
        crate::store_path(data_dir)
    } else {
        data_dir
            .join(TENANTS_DIR)
            .join(format!("{}.{}", plan.domain, crate::store::FILE_EXTENSION))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_first_tenant_is_contoso_with_the_sandbox_seed_and_store() {
        let p = planned(0, 7);
        assert_eq!(p.domain, crate::DOMAIN);
        assert_eq!(p.display_name(), crate::TENANT_NAME);
        assert_eq!(p.account_name(), "Contoso Sandbox");
        assert_eq!(p.seed, 7);
        assert_eq!(
            store_file(Path::new("/d"), &p),
            Path::new("/d/sandbox.sqlite3")
        );
        let f = planned(1, 7);
        assert_eq!(f.domain, "fabrikam.sandbox");
        assert_eq!(
            store_file(Path::new("/d"), &f),
            Path::new("/d/tenants/fabrikam.sandbox.sqlite3")
        );
        assert_eq!(planned(2, 7).display_name(), "Northwind Traders (sandbox)");
        assert_eq!(
            seeded_domains(3),
            ["contoso.sandbox", "fabrikam.sandbox", "northwind.sandbox"]
        );
    }

    #[test]
    fn every_tenant_up_to_the_limit_has_its_own_domain_initial_domain_and_seed() {
        let all: Vec<Planned> = (0..MAX_TENANTS).map(|i| planned(i, 1)).collect();
        let domains: HashSet<&str> = all.iter().map(|p| p.domain.as_str()).collect();
        let initial: HashSet<String> = all
            .iter()
            .map(|p| crate::routes::tenant_domains(&p.domain)[1].id.clone())
            .collect();
        let seeds: HashSet<u64> = all.iter().map(|p| p.seed).collect();
        let names: HashSet<String> = all.iter().map(Planned::display_name).collect();
        for set in [domains.len(), initial.len(), seeds.len(), names.len()] {
            assert_eq!(set, MAX_TENANTS);
        }
        assert!(NAMES.len() >= 50, "fifty tenants have names of their own");
        assert_eq!(planned(NAMES.len(), 1).domain, "contoso2.sandbox");
        assert_eq!(planned(NAMES.len() + 1, 1).company, "Fabrikam 2");
        // A domain is one DNS label before the suffix: letters and digits only.
        assert!(all.iter().all(|p| {
            let label = p.domain.trim_end_matches(".sandbox");
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        }));
    }

    #[test]
    fn counts_outside_one_to_the_limit_are_refused() {
        assert!(check_tenant_count(1).is_ok());
        assert!(check_tenant_count(MAX_TENANTS).is_ok());
        assert!(check_tenant_count(0).is_err());
        assert_eq!(
            check_tenant_count(MAX_TENANTS + 1).unwrap_err(),
            "201 tenants: the sandbox serves from 1 to 200 tenants"
        );
    }
}
