#!/usr/bin/env python3
"""image_seeds.py OUT - the seeds of the image fuzzers, made at build time.

OUT/layer/NAME    layer tars for fuzz_layer: every kind of entry img_load
                  unpacks (files, directories, symlinks, hard links, fifos,
                  devices, whiteouts, owners, modes, PAX attributes), and each
                  hostile entry it must refuse ('..', absolute paths, paths and
                  hard links through a symlink)
OUT/archive/NAME  whole images for fuzz_archive: docker save archives and OCI
                  archives, with the digests right, so a mutation starts from
                  an image that loads

Tars are cut right after their end-of-archive blocks (Python pads them to
10 kB): a seed is mutated whole, and short seeds are mutated faster.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def entry(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0, link="", pax=None,
          dev=(0, 0)):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.uid, ti.gid, ti.linkname = kind, mode, uid, gid, link
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    ti.devmajor, ti.devminor = dev
    ti.mtime = 1700000000
    if pax:
        ti.pax_headers = pax
    return ti, data


def tar(entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if ti.type == tarfile.REGTYPE else None)
    raw = buf.getvalue()
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        end = max((m.offset_data + (m.size + 511) // 512 * 512 for m in t.getmembers()),
                  default=0)
    return raw[:end] + bytes(1024)


D, F, L, H = tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
BASIC = [
    entry("./", D, mode=0o755),
    entry("etc/", D, mode=0o755),
    entry("etc/motd", data=b"hello\n"),
    entry("etc/hard", H, link="etc/motd"),
    entry("bin/", D, mode=0o755),
    entry("bin/busybox", data=b"\x7fELF", mode=0o755),
    entry("bin/sh", L, link="busybox"),
    entry("bin/abs", L, link="/bin/busybox"),
    entry("usr/bin/passwd", data=b"x", mode=0o4755),
    entry("home/user/file", data=b"mine\n", uid=1000, gid=1000),
    entry("run/fifo", tarfile.FIFOTYPE),
    entry("dev/null", tarfile.CHRTYPE, dev=(1, 3)),
    entry("dev/sda", tarfile.BLKTYPE, dev=(8, 0)),
]

LAYERS = {
    "basic": tar(BASIC),
    "basic-gnu": tar(BASIC, tarfile.GNU_FORMAT),
    "basic-gz": gzip.compress(tar(BASIC), mtime=0),
    "empty": bytes(1024),
    "whiteouts": tar([
        entry("etc/", D, mode=0o755),
        entry("etc/.wh.motd"),
        entry("var/.wh..wh..opq"),
        entry(".wh..wh.plnk"),
        entry("keep"),
        entry(".wh.keep"),
    ]),
    "xattrs": tar([
        entry("user", data=b"x", pax={"SCHILY.xattr.user.note": "hi"}),
        # VFS_CAP_REVISION_2, effective, permitted cap_net_raw (13)
        entry("cap", data=b"x", pax={"SCHILY.xattr.security.capability":
                                     "\x01\x00\x00\x02\x00\x20" + "\x00" * 14}),
        entry("redirect", data=b"x", pax={"SCHILY.xattr.trusted.overlay.redirect": "/etc"}),
        entry("opaque/", D, pax={"SCHILY.xattr.trusted.overlay.opaque": "y"}),
    ]),
    "replace": tar([
        entry("a", data=b"file"),
        entry("a/", D),
        entry("b/", D),
        entry("b/in", data=b"x"),
        entry("b", data=b"file over a directory"),
        entry("c", L, link="x"),
        entry("c", data=b"file over a symlink"),
        entry("d", data=b"x"),
        entry("d", H, link="c"),
    ]),
    "long": tar([entry("d/" * 60 + "f" * 200, data=b"x"),
                 entry("l", L, link="t" * 300)]),
    "dotdot": tar([entry("ok", data=b"x"), entry("a/../../x", data=b"x")]),
    "absolute": tar([entry("/etc/x", data=b"x")]),
    "through-symlink": tar([entry("l", L, link="/"), entry("l/x", data=b"x")]),
    "hardlink-out": tar([entry("h", H, link="../../etc/passwd")]),
    "hardlink-through-symlink": tar([entry("l", L, link="/etc"), entry("h", H, link="l/passwd")]),
    "root-not-dir": tar([entry(".", F)]),
}


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def image(layer, cmd="/bin/sh"):
    """The config and the layer descriptor of a one-layer image."""
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": [cmd], "Cmd": ["-c", "true"], "Env": ["PATH=/bin", "A=1"],
                   "WorkingDir": "/home/user", "User": "1000:1000", "StopSignal": "SIGQUIT"},
        "rootfs": {"type": "layers", "diff_ids": [sha(layer)]},
    }, separators=(",", ":")).encode()
    return config


def docker(layer, config_name=None):
    config = image(layer)
    hexc = sha(config)[7:]
    cname = config_name or hexc + ".json"
    lname = hashlib.sha256(layer).hexdigest() + "/layer.tar"
    manifest = json.dumps([{"Config": cname, "RepoTags": ["fuzz/docker:1"],
                            "Layers": [lname]}]).encode()
    return tar([entry("manifest.json", data=manifest), entry(cname, data=config),
                entry(lname.split("/")[0] + "/", D), entry(lname, data=layer)])


def oci(layer, nested=False):
    config = image(layer)
    manifest = json.dumps({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": sha(layer), "size": len(layer)}],
    }).encode()
    blobs = [config, manifest, layer]
    top = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": sha(manifest), "size": len(manifest)}
    if nested:
        index = json.dumps({"schemaVersion": 2, "manifests": [
            dict(top, platform={"os": "linux", "architecture": "arm64"}),
            dict(top, platform={"os": "linux", "architecture": "amd64"})]}).encode()
        blobs.append(index)
        top = {"mediaType": "application/vnd.oci.image.index.v1+json",
               "digest": sha(index), "size": len(index)}
    top["annotations"] = {"io.containerd.image.name": "docker.io/fuzz/oci:1",
                          "org.opencontainers.image.ref.name": "1"}
    files = [entry("oci-layout", data=b'{"imageLayoutVersion":"1.0.0"}'),
             entry("index.json", data=json.dumps({"schemaVersion": 2,
                                                  "manifests": [top]}).encode()),
             entry("blobs/", D), entry("blobs/sha256/", D)]
    files += [entry("blobs/sha256/" + sha(b)[7:], data=b) for b in blobs]
    return tar(files)


small = tar([entry("etc/", D, mode=0o755), entry("etc/motd", data=b"hello\n"),
             entry("bin/sh", L, link="busybox")])
ARCHIVES = {
    "docker": docker(small),
    "docker-config-by-name": docker(small, "config.json"),
    "docker-gz": gzip.compress(docker(small), mtime=0),
    "oci": oci(small),
    "oci-nested-index": oci(small, nested=True),
    "oci-symlinked-index": tar([entry("oci-layout", data=b'{"imageLayoutVersion":"1.0.0"}'),
                                entry("index.json", L, link="/etc/passwd")]),
}


def main():
    out = sys.argv[1]
    for kind, seeds in (("layer", LAYERS), ("archive", ARCHIVES)):
        os.makedirs(os.path.join(out, kind), exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(out, kind, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
