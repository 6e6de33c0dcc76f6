//! The real pdc-client 1.8.0 (library and `pdc` CLI, from the test venv) against the
//! server. Expected outputs were recorded against the original PDC (tests/python/README.md
//! says how to re-record or re-check them); with `PDC_TEST_REFERENCE_URL` set these tests
//! run against that server instead of ours.

use pdc_tests::json;
use pdc_tests::python::{PdcClient, Target, assert_emitted};

/// The library: paging helpers, create/PATCH/PUT/DELETE through beanbag, errors, change
/// comments, anonymous and bad-token clients, on the resources every server has.
#[tokio::test]
async fn library_common_resources() {
    let t = Target::start().await;
    let pdc = PdcClient::for_target(&t);
    let out = pdc.lib(
        r#"
        # Listing: one page, page_size=-1 (a bare list), the two paging helpers, page_size.
        page = client['arches']._()
        emit([page['count'], len(page['results']), page['results'][0], page['next'], page['previous']])
        emit(len(client.arches._(page_size=-1)))
        emit(len(list(client['arches'].results())))
        emit(len(list(client.get_paged(client.arches._))))
        emit(PDCClient(SERVER, page_size=7).arches._()['results'][-1])
        emit(client['arches']._(page_size=2, ordering='-name'))

        # Create with a POST body; validation errors come back as BeanBagException.
        emit(client['arches']._({'name': 'riscv128'}))
        emit(error(lambda: client['arches']._({'name': 'riscv128'})))
        emit(error(lambda: client['arches']._({})))
        emit(error(lambda: client['arches']['x86_64']._('PATCH', {'name': 'x'})))  # no detail route

        # sigkeys: POST, GET detail, PATCH with +=, filters, PUT, errors.
        client.set_comment('made by pdc-client')
        emit(client['sigkeys']._({'name': 'fedora-99', 'key_id': 'abcd1234', 'description': 'Fedora 99'}))
        emit(client['sigkeys']['abcd1234']._())
        client['sigkeys']['abcd1234']._ += {'description': 'patched'}
        emit(client.sigkeys._(name='fedora-99'))
        # beanbag's item assignment PUTs to `sigkeys/abcd1234` (no slash): the 301 to the
        # slashed URL makes requests re-send the PUT without its body.
        def setitem():
            client['sigkeys']['abcd1234'] = {'name': 'fedora-99b', 'description': 'put'}
        emit(error(setitem))
        emit(client['sigkeys']['abcd1234']._('PUT', {'name': 'fedora-99b', 'key_id': 'abcd1234', 'description': 'put'}))
        emit(client['sigkeys']['abcd1234']._())
        emit(error(lambda: client['sigkeys']['nope']._()))
        emit(error(lambda: client.sigkeys._(bogus=1)))
        emit(error(lambda: client['sigkeys']['abcd1234']._('DELETE', None)))
        ch = client.changesets._(ordering='-id', page_size=1)['results'][0]
        emit([ch['comment'], ch['author'], [c['resource'] for c in ch['changes']]])

        # labels: create, look up by filter, delete, 404 afterwards.
        emit(client['labels']._({'name': 'ci', 'description': 'CI label'}))
        lab = client.labels._(name='ci')['results'][0]
        lab_id = lab['url'].rstrip('/').rsplit('/', 1)[1]
        emit(client['labels'][lab_id]._('DELETE', None))
        emit(error(lambda: client['labels'][lab_id]._()))
        emit(client.labels._())

        # A `develop` client sends no token: reads work, writes are refused.
        anon = PDCClient(SERVER, develop=True)
        emit(anon.arches._(page_size=1)['count'])
        emit(error(lambda: anon['arches']._({'name': 'anon-arch'})))
        bad = PDCClient(SERVER, token='0123456789012345678901234567890123456789')
        emit(error(lambda: bad['arches']._({'name': 'bad-arch'})))
        emit(error(lambda: bad['arches']._()))
        emit(client.auth['current-user']._()['username'])
        "#,
    );
    let expected = json!([
        [48, 20, {"name": "alpha"}, "{server}/rest_api/v1/arches/?page=2", null],
        48,
        48,
        48,
        {"name": "alphaev67"},
        {"count": 48, "next": "{server}/rest_api/v1/arches/?ordering=-name&page=2&page_size=2",
         "previous": null, "results": [{"name": "x86_64"}, {"name": "src"}]},
        {"name": "riscv128"},
        {"status": 400, "body": {"name": ["arch with this name already exists."]}},
        {"status": 400, "body": {"name": ["This field is required."]}},
        {"status": 404, "body": {"detail": "Not found"}},
        {"name": "fedora-99", "key_id": "abcd1234", "description": "Fedora 99"},
        {"name": "fedora-99", "key_id": "abcd1234", "description": "Fedora 99"},
        {"count": 1, "next": null, "previous": null,
         "results": [{"name": "fedora-99", "key_id": "abcd1234", "description": "patched"}]},
        {"status": 400, "body": {"key_id": ["This field is required."]}},
        {"name": "fedora-99b", "key_id": "abcd1234", "description": "put"},
        {"name": "fedora-99b", "key_id": "abcd1234", "description": "put"},
        {"status": 404, "body": {"detail": "Not found."}},
        {"status": 400, "body": {"detail": "Unknown query params: bogus."}},
        {"status": 405, "body": {"detail": "Method \"DELETE\" not allowed."}},
        ["made by pdc-client", "admin", ["sigkey"]],
        {"url": "{server}/rest_api/v1/labels/1/", "name": "ci", "description": "CI label"},
        null,
        {"status": 404, "body": {"detail": "Not found."}},
        {"count": 0, "next": null, "previous": null, "results": []},
        49,
        {"status": 401, "body": {"detail": "Authentication credentials were not provided."}},
        {"status": 401, "body": {"detail": "Invalid token."}},
        {"status": 401, "body": {"detail": "Invalid token."}},
        "admin"
    ]);
    assert_emitted(&out, &expected);
}

/// The CLI's permission and group-resource-permission commands, text and --json.
#[tokio::test]
async fn cli_auth_commands() {
    let t = Target::start().await;
    t.ensure_group("releng");
    PdcClient::for_target(&t).check_transcript("auth.txt");
}

/// The CLI's client-side behaviour on errors that never reach a server resource.
#[tokio::test]
async fn cli_exit_codes() {
    let t = Target::start().await;
    let pdc = PdcClient::for_target(&t);
    // Missing required option: argparse refuses before any request.
    let r = pdc.cli(&[
        "group-resource-permissions",
        "create",
        "--resource",
        "arches",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("the following arguments are required: --permission, --group"),
        "{r:?}"
    );
    // A token the server does not know: 401 with the detail on stderr.
    let bad = PdcClient::new(&t.url, "0123456789012345678901234567890123456789");
    let r = bad.cli(&[
        "group-resource-permissions",
        "create",
        "--resource",
        "arches",
        "--permission",
        "create",
        "--group",
        "releng",
    ]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (
            1,
            "",
            "Server returned following error: [401] Unauthorized\nDetails: Invalid token.\n"
        )
    );
    // A bad token is refused on reads too, though reads need no token.
    let r = bad.cli(&["--json", "group-resource-permissions", "list"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (
            1,
            "",
            "Server returned following error: [401] Unauthorized\nDetails: Invalid token.\n"
        )
    );
    let r = pdc.cli(&["--json", "group-resource-permissions", "list"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "[]\n", "")
    );
}

/// products, product-versions, base-products, releases (incl. clone) and release-variants
/// through the CLI, text and --json, including error output.
#[tokio::test]
async fn cli_release_commands() {
    let t = Target::start().await;
    PdcClient::for_target(&t).check_transcript("releases.txt");
}

/// rpms, images, build-images and build-image-rtt-tests through the CLI, text and --json,
/// after importing the TP compose's images and creating build images with the library.
#[tokio::test]
async fn cli_package_commands() {
    let t = Target::start().await;
    let pdc = PdcClient::for_target(&t);
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/compose/pdc-TP-1.0-20150310.0/"
    );
    let out = pdc.lib(&format!(
        r#"
        import json
        ci = json.load(open('{fixtures}composeinfo-0.3.json'))
        im = json.load(open('{fixtures}images-1.2.json'))
        client['rpc']['release']['import-from-composeinfo']._(ci)
        emit(client['compose-images']._({{'release_id': 'tp-1.0', 'composeinfo': ci, 'image_manifest': im}}))
        archive = {{'build_nvr': 'my-server-docker-1.0-27', 'name': 'tdl-x86_64.xml', 'size': 641,
                    'md5': '22222222222222222222222222222222'}}
        emit(client['build-images']._({{'image_id': 'my-server-docker-1.0-27', 'image_format': 'docker',
                                       'md5': '0123456789abcdef0123456789abcdef', 'archives': [archive],
                                       'releases': ['tp-1.0']}})['image_id'])
        rpm = {{'name': 'bash-doc', 'epoch': 0, 'version': '1.2.3', 'release': '4.b2', 'arch': 'x86_64',
               'srpm_name': 'bash', 'srpm_nevra': 'bash-0:1.2.3-4.b2.src'}}
        emit(client['build-images']._({{'image_id': 'my-client-docker', 'image_format': 'docker',
                                       'md5': 'abcdef0123456789abcdef0123456789', 'rpms': [rpm]}})['rpms'])
        "#
    ));
    assert_emitted(
        &out,
        &json!([
            {"compose": "TP-1.0-20150310.0", "imported images": 4},
            "my-server-docker-1.0-27",
            ["bash-doc-0:1.2.3-4.b2.x86_64.rpm"]
        ]),
    );
    pdc.check_transcript("packages.txt");
}

/// The library on the release resources: create through `client['products']._({...})`,
/// reads through attribute and item access, PATCH, paging helpers and filters.
#[tokio::test]
async fn library_release_resources() {
    let t = Target::start().await;
    let pdc = PdcClient::for_target(&t);
    let out = pdc.lib(
        r#"
        emit(client['products']._({'short': 'fedora', 'name': 'Fedora'}))
        emit(client.product_versions._({'short': 'fedora', 'version': '40', 'name': 'Fedora 40', 'product': 'fedora'}))
        emit(client['base-products']._({'short': 'rhel', 'version': '9', 'name': 'RHEL', 'release_type': 'ga'}))
        emit(client['releases']._({'short': 'fedora', 'version': '40', 'name': 'Fedora', 'release_type': 'ga',
                                   'product_version': 'fedora-40', 'dist_git': {'branch': 'f40'}}))
        emit(client['releases']._({'short': 'sap', 'version': '1', 'name': 'SAP', 'release_type': 'ga',
                                   'base_product': 'rhel-9', 'active': False}))
        emit(client['release-variants']._({'release': 'fedora-40', 'uid': 'Server', 'id': 'Server',
                                           'name': 'Server', 'type': 'variant', 'arches': ['x86_64']}))
        emit(client.releases._(active=True))
        emit([r['release_id'] for r in client['releases'].results()])
        emit([r['release_id'] for r in client.get_paged(client.releases._, active=False)])
        emit(client.releases['fedora-40']._())
        client.releases['fedora-40']._ += {'name': 'Fedora Forty'}
        emit(client['releases']['fedora-40']._(fields=['name', 'active']))
        emit(client.products.fedora._())
        emit(client['product-versions']['fedora-40']._())
        emit(client['base-products']['rhel-9']._())
        emit(client['release-variants']._(release='fedora-40'))
        emit(error(lambda: client['releases']._({'short': 'fedora', 'version': '40', 'name': 'Fedora', 'release_type': 'ga'})))
        emit(error(lambda: client['releases']['nope-1']._()))
        "#,
    );
    let release_40 = json!({
        "release_id": "fedora-40", "short": "fedora", "version": "40", "name": "Fedora",
        "base_product": null, "active": true, "product_version": "fedora-40",
        "release_type": "ga", "compose_set": [], "integrated_with": null, "sigkey": null,
        "allow_buildroot_push": false, "allowed_debuginfo_services": [],
        "allowed_push_targets": [], "bugzilla": null, "dist_git": {"branch": "f40"}
    });
    let sap = json!({
        "release_id": "sap-1@rhel-9", "short": "sap", "version": "1", "name": "SAP",
        "base_product": "rhel-9", "active": false, "product_version": null,
        "release_type": "ga", "compose_set": [], "integrated_with": null, "sigkey": null,
        "allow_buildroot_push": false, "allowed_debuginfo_services": [],
        "allowed_push_targets": [], "bugzilla": null, "dist_git": null
    });
    let variant = json!({
        "release": "fedora-40", "id": "Server", "uid": "Server", "name": "Server",
        "type": "variant", "arches": ["x86_64"], "variant_version": null,
        "variant_release": null, "allowed_push_targets": []
    });
    let expected = json!([
        {"name": "Fedora", "short": "fedora", "active": false, "product_versions": [],
         "allowed_push_targets": []},
        {"name": "Fedora 40", "short": "fedora", "version": "40", "active": false,
         "product_version_id": "fedora-40", "product": "fedora", "releases": [],
         "allowed_push_targets": []},
        {"base_product_id": "rhel-9", "short": "rhel", "version": "9", "name": "RHEL",
         "release_type": "ga"},
        release_40,
        sap,
        variant,
        {"count": 1, "next": null, "previous": null, "results": [release_40]},
        ["fedora-40", "sap-1@rhel-9"],
        ["sap-1@rhel-9"],
        release_40,
        {"name": "Fedora Forty", "active": true},
        {"name": "Fedora", "short": "fedora", "active": true, "product_versions": ["fedora-40"],
         "allowed_push_targets": []},
        {"name": "Fedora 40", "short": "fedora", "version": "40", "active": true,
         "product_version_id": "fedora-40", "product": "fedora", "releases": ["fedora-40"],
         "allowed_push_targets": []},
        {"base_product_id": "rhel-9", "short": "rhel", "version": "9", "name": "RHEL",
         "release_type": "ga"},
        {"count": 1, "next": null, "previous": null, "results": [variant]},
        {"status": 400, "body": {"detail": ["Release with this Release id already exists."]}},
        {"status": 404, "body": {"detail": "Not found."}}
    ]);
    assert_emitted(&out, &expected);
}

/// What the component transcript expects to exist: two releases (old-1 inactive, with a
/// component), a person, a mailing list and two contact roles, made through the library.
const COMPONENT_FIXTURES: &str = r#"
emit(client['releases']._({'short': 'fedora', 'version': '40', 'name': 'Fedora', 'release_type': 'ga',
                           'dist_git': {'branch': 'f40'}})['release_id'])
emit(client['releases']._({'short': 'old', 'version': '1', 'name': 'Old', 'release_type': 'ga'})['release_id'])
emit(client['global-components']._({'name': 'java'})['id'])
emit(client['release-components']._({'release': 'old-1', 'global_component': 'java', 'name': 'java'})['id'])
client.releases['old-1']._ += {'active': False}
emit(client['contacts']['people']._({'username': 'alice', 'email': 'alice@example.com'}))
emit(client['contacts/mailing-lists']._({'mail_name': 'devel', 'email': 'devel@lists.example.com'}))
emit(client['contact-roles']._({'name': 'pm', 'count_limit': 'unlimited'}))
emit(client['contact-roles']._({'name': 'qe'}))
"#;

/// global-component, release-component and the component-contact commands, text and
/// --json, with their errors.
#[tokio::test]
async fn cli_component_commands() {
    let t = Target::start().await;
    let pdc = PdcClient::for_target(&t);
    let out = pdc.lib(COMPONENT_FIXTURES);
    assert_emitted(
        &out,
        &json!([
            "fedora-40",
            "old-1",
            1,
            1,
            {"id": 1, "username": "alice", "email": "alice@example.com"},
            {"id": 2, "mail_name": "devel", "email": "devel@lists.example.com"},
            {"name": "pm", "count_limit": "unlimited"},
            {"name": "qe", "count_limit": 1}
        ]),
    );
    pdc.check_transcript("components.txt");
}

/// The library on people and mailing lists: create, look up by filter, PATCH, errors,
/// and the paging helper.
#[tokio::test]
async fn library_contacts() {
    let t = Target::start().await;
    let pdc = PdcClient::for_target(&t);
    let out = pdc.lib(
        r#"
        people = client['contacts']['people']
        emit(people._({'username': 'alice', 'email': 'alice@example.com'}))
        emit(client.contacts.people._({'username': 'bob', 'email': 'bob@example.com'}))
        emit(error(lambda: people._({'username': 'alice', 'email': 'alice@example.com'})))
        emit(error(lambda: people._({'username': 'carol', 'email': 'not-an-email'})))
        emit(error(lambda: people._({'email': 'dave@example.com'})))
        emit(people._(username='bob'))
        people['1']._ += {'email': 'alice@example.org'}
        emit(people['1']._())
        emit([p['username'] for p in client.get_paged(people._, email='bob@example.com')])
        emit(client['contacts/mailing-lists']._({'mail_name': 'devel', 'email': 'devel@example.com'}))
        emit(error(lambda: people['99']._()))
        emit(people._(page_size=-1))
        "#,
    );
    let alice = json!({"id": 1, "username": "alice", "email": "alice@example.com"});
    let bob = json!({"id": 2, "username": "bob", "email": "bob@example.com"});
    let expected = json!([
        alice,
        bob,
        {"status": 400, "body": {"username": ["person with this username already exists."]}},
        {"status": 400, "body": {"email": ["Enter a valid email address."]}},
        {"status": 400, "body": {"username": ["This field is required."]}},
        {"count": 1, "next": null, "previous": null, "results": [bob]},
        {"id": 1, "username": "alice", "email": "alice@example.org"},
        ["bob"],
        {"id": 3, "mail_name": "devel", "email": "devel@example.com"},
        {"status": 404, "body": {"detail": "Not found."}},
        [{"id": 1, "username": "alice", "email": "alice@example.org"}, bob]
    ]);
    assert_emitted(&out, &expected);
}

/// compose-full-import, compose, compose-tree-locations and compose-image-rtt-tests
/// through the CLI, text and --json. The import reads PDC's own test compose
/// (composeinfo 0.3, rpms and images 1.2) from files.
#[tokio::test]
async fn cli_compose_commands() {
    let t = Target::start().await;
    if let Some(s) = &t.server {
        s.sql("INSERT INTO location (name, short) VALUES ('Nay', 'NAY'), ('Brq', 'BRQ')");
        s.sql("INSERT INTO scheme (name) VALUES ('nfs'), ('http')");
    }
    let pdc = PdcClient::for_target(&t);
    let dir = pdc_tests::repo_root().join("../shared/fixtures/compose/pdc-TP-1.0-20150310.0");
    for name in ["composeinfo-0.3.json", "rpms-1.2.json", "images-1.2.json"] {
        let data = std::fs::read(dir.join(name)).expect("compose fixture");
        pdc.put_file(name, &data);
    }
    pdc.check_transcript("composes.txt");
}
