//! PDC's test fixtures as SQL, for resources whose parents have no API here.

use crate::Server;

/// `variants_standalone.json`: releases `release-1.0` and `release2-1.0`
/// (no product version); in release-1.0 `Server-UID` (variant; x86_64,
/// ppc64) and `Client-UID` (optional; x86_64, ia64); in release2-1.0
/// `Client-UID` (optional, no arches).
pub fn variants_standalone(s: &Server) {
    s.sql(
        "INSERT INTO release (release_id, short, version, name, release_type_pk) VALUES
           ('release-1.0', 'release', '1.0', 'Test', 1),
           ('release2-1.0', 'release2', '1.0', 'Test2', 1);
         INSERT INTO variant (release_pk, variant_id, variant_uid, variant_name, variant_type_pk)
         SELECT r.id, v.vid, v.uid, v.name, t.id
         FROM (VALUES (1, 'release-1.0', 'Server', 'Server-UID', 'Server name', 'variant'),
                      (2, 'release-1.0', 'Client', 'Client-UID', 'Client name', 'optional'),
                      (3, 'release2-1.0', 'Client', 'Client-UID', 'Client name', 'optional'))
              AS v(n, rel, vid, uid, name, type)
         JOIN release r ON r.release_id = v.rel JOIN variant_type t ON t.name = v.type
         ORDER BY v.n;
         INSERT INTO variant_arch (variant_pk, arch_pk)
         SELECT v.id, a.id FROM variant v JOIN release r ON r.id = v.release_pk, arch a
         WHERE (r.release_id, v.variant_uid, a.name) IN
           (('release-1.0', 'Server-UID', 'x86_64'), ('release-1.0', 'Server-UID', 'ppc64'),
            ('release-1.0', 'Client-UID', 'x86_64'), ('release-1.0', 'Client-UID', 'ia64'))",
    );
}

/// `push_target.json` + `allowed_push_targets.json`: product `product`
/// allows rhn-live and rhn-stage, `product2` allows rhn-qa; product versions
/// product-1, product-2, product2-1 and releases product-1.0, product-2.0,
/// product2-1.0 mask nothing; variant `Server` in product-1.0 and product2-1.0.
pub fn push_targets(s: &Server) {
    s.sql(
        "INSERT INTO push_target (name, description, host, service_pk)
         SELECT v.name, v.descr, v.host, sv.id
         FROM (VALUES (1, 'rhn-live', 'RHN Live', 'https://example.com/rhn-live', 'rhn'),
                      (2, 'rhn-stage', 'RHN Stage', 'https://example.com/rhn-live', 'rhn'),
                      (3, 'rhn-qa', 'RHN QA', 'https://example.com/rhn-qa', 'pulp'))
              AS v(n, name, descr, host, service)
         JOIN service sv ON sv.name = v.service ORDER BY v.n;
         INSERT INTO product (short, name) VALUES ('product', 'Test Product'), ('product2', 'Test Product 2');
         INSERT INTO product_push_target (product_pk, push_target_pk)
         SELECT p.id, t.id FROM product p, push_target t WHERE (p.short, t.name) IN
           (('product', 'rhn-live'), ('product', 'rhn-stage'), ('product2', 'rhn-qa'));
         INSERT INTO product_version (product_version_id, short, version, name, product_pk)
         SELECT v.pvid, v.short, v.version, v.name, p.id
         FROM (VALUES (1, 'product-1', 'product', '1', 'Product Version', 'product'),
                      (2, 'product-2', 'product', '2', 'Product Version', 'product'),
                      (3, 'product2-1', 'product2', '1', 'Product2 Version', 'product2'))
              AS v(n, pvid, short, version, name, product)
         JOIN product p ON p.short = v.product ORDER BY v.n;
         INSERT INTO release (release_id, short, version, name, release_type_pk, product_version_pk)
         SELECT v.rid, v.short, v.version, 'Our Awesome Product', 1, pv.id
         FROM (VALUES (1, 'product-1.0', 'product', '1.0', 'product-1'),
                      (2, 'product-2.0', 'product', '2.0', 'product-2'),
                      (3, 'product2-1.0', 'product2', '1.0', 'product2-1'))
              AS v(n, rid, short, version, pv)
         JOIN product_version pv ON pv.product_version_id = v.pv ORDER BY v.n;
         INSERT INTO variant (release_pk, variant_id, variant_uid, variant_name, variant_type_pk)
         SELECT r.id, 'Server', 'Server', 'Server', 1 FROM release r
         WHERE r.release_id IN ('product-1.0', 'product2-1.0') ORDER BY r.id",
    );
}

/// `cpes.json`: `cpe:test1` and `cpe:test2`.
pub fn cpes(s: &Server) {
    s.sql(
        "INSERT INTO cpe (cpe, description) VALUES ('cpe:test1', 'CPE Test 1'), ('cpe:test2', 'CPE Test 2')",
    );
}

/// `variant_cpes.json`: cpe:test1 on release-1.0/Client-UID; needs
/// [`variants_standalone`] and [`cpes`].
pub fn variant_cpes(s: &Server) {
    s.sql(
        "INSERT INTO variant_cpe (variant_pk, cpe_pk)
         SELECT v.id, c.id FROM variant v JOIN release r ON r.id = v.release_pk, cpe c
         WHERE r.release_id = 'release-1.0' AND v.variant_uid = 'Client-UID' AND c.cpe = 'cpe:test1'",
    );
}

/// `release.json`, `release_group_types.json` and `release_groups.json`:
/// release-1.0; types Async, QuarterlyUpdate, Zstream; groups `rhel_test`
/// (Async, "test") and `rhel_test1` (QuarterlyUpdate, "good"), both with release-1.0.
pub fn release_groups(s: &Server) {
    s.sql(
        "INSERT INTO release (release_id, short, version, name, release_type_pk)
           VALUES ('release-1.0', 'release', '1.0', 'Test Release', 1);
         INSERT INTO release_group_type (name) VALUES ('Async'), ('QuarterlyUpdate'), ('Zstream');
         INSERT INTO release_group (name, description, type_pk)
         SELECT v.name, v.descr, t.id
         FROM (VALUES (1, 'rhel_test', 'test', 'Async'), (2, 'rhel_test1', 'good', 'QuarterlyUpdate'))
              AS v(n, name, descr, type)
         JOIN release_group_type t ON t.name = v.type ORDER BY v.n;
         INSERT INTO release_group_release (release_group_pk, release_pk)
         SELECT g.id, r.id FROM release_group g, release r",
    );
}

/// PDC's `global_component.json`, `release.json`, `release_component.json`,
/// `contact_role.json`, `maillist.json` and `person.json`: global components
/// python, MySQL-python, java; release-1.0 with release components python27
/// (1) and MySQL-python (2); roles qe_ack, pm, cc (limit 1), watcher and
/// allow_unlimited_role (unlimited), allow_3_role (3); mailing lists
/// maillist1, maillist2 (contacts 1, 2) and people person1, person2 (3, 4).
pub fn contacts(s: &Server) {
    s.sql(
        "INSERT INTO global_component (name) VALUES ('python'), ('MySQL-python'), ('java');
         INSERT INTO release (release_id, short, version, name, release_type_pk)
           VALUES ('release-1.0', 'release', '1.0', 'Test Release', 1);
         INSERT INTO release_component (name, global_component_pk, release_pk)
         SELECT v.name, g.id, r.id
         FROM (VALUES (1, 'python27', 'python'), (2, 'MySQL-python', 'MySQL-python')) AS v(n, name, gc)
         JOIN global_component g ON g.name = v.gc, release r ORDER BY v.n;
         INSERT INTO contact_role (name, count_limit) VALUES ('qe_ack', 1), ('pm', 1), ('cc', 1),
           ('watcher', 0), ('allow_3_role', 3), ('allow_unlimited_role', 0);
         INSERT INTO contact (kind) VALUES ('maillist'), ('maillist'), ('person'), ('person');
         INSERT INTO mailing_list (contact_pk, mail_name, email)
           VALUES (1, 'maillist1', 'maillist1@test.com'), (2, 'maillist2', 'maillist2@test.com');
         INSERT INTO person (contact_pk, username, email)
           VALUES (3, 'person1', 'person1@test.com'), (4, 'person2', 'person2@test.com')",
    );
}
