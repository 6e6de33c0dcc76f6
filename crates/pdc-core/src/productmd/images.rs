//! `images.json`: `payload.images[variant][arch] = [image, ...]`, formats
//! 1.0 to 1.2, with productmd's checks and its handling of source images
//! (copied under every binary arch up to 1.1, refused in 1.2).

use serde_json::{Map, Value};

use super::common::{Parse, ParseError, get, header, matches, one_of, py_type_repr, string};
use super::composeinfo::{Compose, parse_compose};
use crate::fields::truthy;

pub const METADATA_TYPE: &str = "productmd.images";
pub const IMAGE_TYPES: [&str; 16] = [
    "boot",
    "cd",
    "docker",
    "dvd",
    "dvd-debuginfo",
    "dvd-ostree",
    "ec2",
    "kvm",
    "live",
    "netinst",
    "p2v",
    "qcow2",
    "raw-xz",
    "rescue",
    "vagrant-libvirt",
    "vagrant-virtualbox",
];
pub const IMAGE_FORMATS: [&str; 16] = [
    "iso",
    "qcow",
    "qcow2",
    "raw",
    "raw.xz",
    "rhevm.ova",
    "sda.raw",
    "tar.gz",
    "tar.xz",
    "vagrant-libvirt.box",
    "vagrant-virtualbox.box",
    "vdi",
    "vmdk",
    "vmx",
    "vsphere.ova",
    "booom",
];
pub const RPM_ARCHES: [&str; 50] = [
    "aarch64",
    "alpha",
    "alphaev4",
    "alphaev45",
    "alphaev5",
    "alphaev56",
    "alphaev6",
    "alphaev67",
    "alphaev68",
    "alphaev7",
    "alphapca56",
    "amd64",
    "arm64",
    "armhfp",
    "armv5tejl",
    "armv5tel",
    "armv6hl",
    "armv6l",
    "armv7hl",
    "armv7hnl",
    "armv7l",
    "athlon",
    "geode",
    "i386",
    "i486",
    "i586",
    "i686",
    "ia32e",
    "ia64",
    "ppc",
    "ppc64",
    "ppc64iseries",
    "ppc64le",
    "ppc64p7",
    "ppc64pseries",
    "s390",
    "s390x",
    "sh3",
    "sh4",
    "sh4a",
    "sparc",
    "sparc64",
    "sparc64v",
    "sparcv8",
    "sparcv9",
    "sparcv9v",
    "x86_64",
    "src",
    "nosrc",
    "noarch",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub path: String,
    pub mtime: i64,
    pub size: i64,
    pub volume_id: Option<String>,
    pub image_type: String,
    pub format: String,
    pub arch: String,
    pub disc_number: i64,
    pub disc_count: i64,
    /// `sha256` always; `md5` and `sha1` when given.
    pub checksums: Map<String, Value>,
    pub implant_md5: Option<String>,
    pub bootable: bool,
    pub subvariant: String,
    pub unified: bool,
}

impl Image {
    /// File name and directory of `path`, as `os.path.split` gives them.
    pub fn split_path(&self) -> (&str, &str) {
        match self.path.rsplit_once('/') {
            Some((dir, file)) => (dir, file),
            None => ("", &self.path),
        }
    }

    pub fn checksum(&self, kind: &str) -> Option<&str> {
        self.checksums.get(kind).and_then(Value::as_str)
    }
}

#[derive(Debug, Clone)]
pub struct ImageManifest {
    pub version: (u32, u32),
    pub compose: Compose,
    /// `(variant uid, arch, image)` in manifest order.
    pub images: Vec<(String, String, Image)>,
}

/// Python's `int(x)` on a JSON value.
fn py_int(field: &str, v: &Value) -> Parse<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
            .ok_or_else(|| ParseError(format!("int() argument out of range: {field}"))),
        Value::Bool(b) => Ok(*b as i64),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| ParseError(format!("invalid literal for int() with base 10: '{s}'"))),
        other => Err(ParseError(format!(
            "int() argument must be a string or a number, not '{}'",
            py_type_repr(other)
                .trim_start_matches("<type '")
                .trim_end_matches("'>")
        ))),
    }
}

fn opt_string(class: &str, field: &str, v: &Value) -> Parse<Option<String>> {
    match v {
        Value::Null => Ok(None),
        other => string(class, field, other).map(Some),
    }
}

fn parse_image(data: &Value, version: (u32, u32)) -> Parse<Image> {
    let path = get(data, "path")?;
    let mtime = py_int("mtime", get(data, "mtime")?)?;
    let size = py_int("size", get(data, "size")?)?;
    let volume_id = get(data, "volume_id")?;
    let image_type = get(data, "type")?;
    let format = match data.get("format") {
        Some(f) => f.clone(),
        None => Value::from("iso"),
    };
    let arch = get(data, "arch")?;
    let disc_number = py_int("disc_number", get(data, "disc_number")?)?;
    let disc_count = py_int("disc_count", get(data, "disc_count")?)?;
    let checksums = get(data, "checksums")?;
    let implant_md5 = get(data, "implant_md5")?;
    let bootable = truthy(get(data, "bootable")?);
    let subvariant = if version <= (1, 0) {
        data.get("subvariant").cloned().unwrap_or(Value::from(""))
    } else {
        get(data, "subvariant")?.clone()
    };
    let unified = data.get("unified").cloned().unwrap_or(Value::Bool(false));
    // productmd's checks, in method-name order.
    let arch = string("Image", "arch", arch)?;
    if arch.is_empty() {
        return Err(ParseError("Image: Field 'arch' must not be blank".into()));
    }
    let checksums = match checksums {
        Value::Object(m) if !m.is_empty() => m.clone(),
        Value::Object(_) => {
            return Err(ParseError(
                "Image: Field 'checksums' must not be blank".into(),
            ));
        }
        other => {
            return Err(ParseError(format!(
                "Image: Field 'checksums' has invalid type: {}",
                py_type_repr(other)
            )));
        }
    };
    let format = string("Image", "format", &format)?;
    one_of("Image", "format", &format, &IMAGE_FORMATS)?;
    let implant_md5 = opt_string("Image", "implant_md5", implant_md5)?;
    if let Some(m) = &implant_md5 {
        static MD5: std::sync::LazyLock<regex::Regex> =
            std::sync::LazyLock::new(|| regex::Regex::new("^[a-z0-9]{32}$").expect("regex"));
        matches("Image", "implant_md5", m, &MD5, "['^[a-z0-9]{32}$']")?;
    }
    let path = string("Image", "path", path)?;
    if path.is_empty() {
        return Err(ParseError("Image: Field 'path' must not be blank".into()));
    }
    if size == 0 {
        return Err(ParseError("Image: Field 'size' must not be blank".into()));
    }
    let subvariant = string("Image", "subvariant", &subvariant)?;
    let image_type = string("Image", "type", image_type)?;
    one_of("Image", "type", &image_type, &IMAGE_TYPES)?;
    let unified = match unified {
        Value::Bool(b) => b,
        other => {
            return Err(ParseError(format!(
                "Image: Field 'unified' has invalid type: {}",
                py_type_repr(&other)
            )));
        }
    };
    let volume_id = opt_string("Image", "volume_id", volume_id)?;
    if volume_id.as_deref() == Some("") {
        return Err(ParseError(
            "Image: Field 'volume_id' must not be blank".into(),
        ));
    }
    Ok(Image {
        path,
        mtime,
        size,
        volume_id,
        image_type,
        format,
        arch,
        disc_number,
        disc_count,
        checksums,
        implant_md5,
        bootable,
        subvariant,
        unified,
    })
}

fn entries(v: &Value) -> Parse<&Map<String, Value>> {
    v.as_object().ok_or_else(|| {
        ParseError(format!(
            "'{}' object is not iterable",
            py_type_repr(v)
                .trim_start_matches("<type '")
                .trim_end_matches("'>")
        ))
    })
}

impl ImageManifest {
    pub fn parse(data: &Value) -> Parse<Self> {
        let version = header(data, METADATA_TYPE)?;
        let payload = get(data, "payload")?;
        let compose = parse_compose(get(payload, "compose")?, version)?;
        let mut images: Vec<(String, String, Image)> = Vec::new();
        for (variant, arches) in entries(get(payload, "images")?)? {
            for (arch, list) in entries(arches)? {
                let Value::Array(list) = list else {
                    return Err(ParseError(format!(
                        "'{}' object is not iterable",
                        py_type_repr(list)
                            .trim_start_matches("<type '")
                            .trim_end_matches("'>")
                    )));
                };
                for raw in list {
                    let image = parse_image(raw, version)?;
                    // Up to 1.1 a source image is listed under every binary arch.
                    let targets: Vec<&String> = if version <= (1, 1) && arch == "src" {
                        entries(arches)?.keys().filter(|a| *a != "src").collect()
                    } else {
                        vec![arch]
                    };
                    for target in targets {
                        add(&mut images, version, variant, target, &image)?;
                    }
                }
            }
        }
        Ok(ImageManifest {
            version,
            compose,
            images,
        })
    }
}

fn add(
    images: &mut Vec<(String, String, Image)>,
    version: (u32, u32),
    variant: &str,
    arch: &str,
    image: &Image,
) -> Parse<()> {
    if !RPM_ARCHES.contains(&arch) {
        return Err(ParseError(format!("Arch not found in RPM_ARCHES: {arch}")));
    }
    if arch == "src" || arch == "nosrc" {
        return Err(ParseError(
            "Source arch is not allowed. Map source files under binary arches.".into(),
        ));
    }
    if version >= (1, 1) {
        let same = |a: &Image| {
            (
                &a.subvariant,
                &a.image_type,
                &a.format,
                &a.arch,
                a.disc_number,
                a.unified,
            ) == (
                &image.subvariant,
                &image.image_type,
                &image.format,
                &image.arch,
                image.disc_number,
                image.unified,
            )
        };
        if images
            .iter()
            .any(|(_, _, cur)| same(cur) && cur.checksums != image.checksums)
        {
            return Err(ParseError(format!(
                "Image <Image:{}:{}:{}> shares all UNIQUE_IMAGE_ATTRIBUTES with another image! This is forbidden.",
                image.path, image.format, image.arch
            )));
        }
    }
    images.push((variant.to_string(), arch.to_string(), image.clone()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures/compose/"
        );
        serde_json::from_str(&std::fs::read_to_string(format!("{root}{name}")).expect("fixture"))
            .expect("json")
    }

    #[test]
    fn fixtures() {
        for v in ["1.0", "1.1", "1.2"] {
            let m =
                ImageManifest::parse(&fixture(&format!("pdc-TP-1.0-20150310.0/images-{v}.json")))
                    .unwrap();
            assert_eq!(m.compose.id, "TP-1.0-20150310.0");
            assert!(!m.images.is_empty(), "{v}");
        }
        let m = ImageManifest::parse(&fixture(
            "Fedora-24-20151130.n.2/compose/metadata/images.json",
        ))
        .unwrap();
        assert!(m.images.iter().all(|(_, a, _)| a != "src"));
    }

    #[test]
    fn source_arch_in_1_2() {
        let mut doc = fixture("pdc-TP-1.0-20150310.0/images-1.2.json");
        let images = doc["payload"]["images"].as_object_mut().unwrap();
        let (variant, arches) = images.iter_mut().next().unwrap();
        let _ = variant;
        let first = arches.as_object().unwrap().values().next().unwrap().clone();
        arches.as_object_mut().unwrap().insert("src".into(), first);
        assert_eq!(
            ImageManifest::parse(&doc).unwrap_err().0,
            "Source arch is not allowed. Map source files under binary arches."
        );
    }
}
