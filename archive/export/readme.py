"""README.txt of a package: what it holds and how to verify it by hand (中文 and English)."""

from __future__ import annotations

from collections.abc import Sequence

from archive.export.offline.layout import (
    ACCESS_LOG,
    INDEX,
    PACKAGE_SIGNATURE,
    PACKAGE_TIMESTAMP,
    REPORT,
    TAGMANIFEST,
    TRUST_ROOTS,
)

# Prints the SHA-256 of the signature value inside a CMS file: the imprint its RFC 3161 token
# covers. The SignerInfo's signature is the only OCTET STRING at depth 5 of a detached CMS.
SIGNATURE_DIGEST_SH = (
    "openssl asn1parse -inform DER -in \"$P7S\" | awk '/d=5 / && /OCTET STRING/' "
    "| head -1 | sed -E 's/^ *([0-9]+):.*hl= *([0-9]+) +l= *([0-9]+).*/\\1 \\2 \\3/' "
    "| { read -r o h l; tail -c +$((o + h + 1)) \"$P7S\" | head -c \"$l\"; } "
    "| openssl dgst -sha256 -r | cut -d' ' -f1"
)


def readme_text(*, bag_name: str, export_id: str, created_at: str, actor: str, reason: str,
                recording_dirs: Sequence[str], root_fingerprints: Sequence[str]) -> str:
    """The plain-text README, Chinese first, then English; commands are the same for both."""
    example = recording_dirs[0] if recording_dirs else "data/recordings/<id>"
    fingerprints = "\n".join(f"    SHA-256 {f}" for f in root_fingerprints) or "    (none)"
    recordings = "\n".join(f"    {d}" for d in recording_dirs)
    commands = _commands(bag_name, example)
    return f"""\
aidrec 证据包 / evidence package {export_id}
==========================================================================

导出时间 / exported at: {created_at}
导出人 / exported by:   {actor}
导出事由 / reason:      {" ".join(reason.split())}

包内根证书 / root certificate(s) in {TRUST_ROOTS}:
{fingerprints}
请只信任通过其他渠道取得的根证书（核对以上指纹）。包内的根证书仅供参考：
能伪造证据包的人也能替换它。
Trust only a root certificate you received separately, and compare its fingerprint
above. The copy inside the package proves nothing on its own: whoever could forge the
package could replace it too.

--------------------------------------------------------------------------
一、内容
--------------------------------------------------------------------------
本证据包是 BagIt 包（RFC 8493），包含：
  {INDEX}                 索引：录像、片段、封存、证明文件的位置
  {REPORT}        证据保管链报告（PDF，PAdES 长期签名，含时间戳）
  {ACCESS_LOG}             访问与导出记录摘录
  data/recordings/<录像>/segments/  原始音视频片段（逐字节原样）
  data/recordings/<录像>/seal/      封存清单 manifest.json、签名 manifest.p7s、
                                    时间戳 manifest.tsr、证书链与 CRL 快照
  data/recordings/<录像>/proofs/    透明日志包含证明（RFC 9162）
  data/recordings/<录像>/gaps.json  录制中断记录及原因
  data/recordings/<录像>/documents/ 转写稿（JSON 与 WebVTT）等派生文件及其封存
  data/log/heads/<大小>/            已签名、带时间戳的日志树头
  data/export/                      本次导出的封存记录（谁、何时、为何、导出了什么）
  {TAGMANIFEST}, {PACKAGE_SIGNATURE}, {PACKAGE_TIMESTAMP}
                                    导出时对全部内容的签名和时间戳
本包中的录像目录：
{recordings}

--------------------------------------------------------------------------
二、手工核验（以下命令均在解压后的 {bag_name} 目录中执行；ROOT.pem 为另行取得的根证书）
--------------------------------------------------------------------------
需要：unzip、bagit.py（pip install bagit）、openssl、poppler-utils（pdfsig）、
libnss3-tools（certutil）。每一步的预期输出写在命令下方。
{commands}
以上全部通过即说明：所有文件与导出时完全一致；每段录像与其封存清单一致，并处于封存时
登记的透明日志中；封存和导出的时间由时间戳机构证明；报告自签名后未被修改。
也可以用 aidrec 一次完成全部检查（务必用 --trust-root 指定另行取得的根证书）：
  aidrec verify {bag_name}.zip --trust-root ROOT.pem
    -> 全部通过时退出码为 0。不指定 --trust-root 时只能证明本包自身前后一致，
       不能证明由谁制作（伪造者可以用自己的根证书签名），此时退出码为 3。

--------------------------------------------------------------------------
1. Contents
--------------------------------------------------------------------------
This is a BagIt bag (RFC 8493). {INDEX} says where everything is: the original media
segments byte for byte (data/recordings/<recording>/segments/), each recording's seal
(signed manifest, RFC 3161 token, certificate chain and CRL snapshots in seal/),
transparency-log inclusion proofs (proofs/) against signed tree heads (data/log/heads/),
gap records with their causes (gaps.json), transcripts and other sealed documents
(documents/), the access and export history ({ACCESS_LOG}), the sealed record of this
export (data/export/), and the chain-of-custody report ({REPORT}, signed PAdES B-LTA).
{PACKAGE_SIGNATURE} and {PACKAGE_TIMESTAMP} sign and timestamp {TAGMANIFEST}, which
pins every other file through the manifests.

--------------------------------------------------------------------------
2. Verifying by hand (run inside the unzipped {bag_name} directory; ROOT.pem is the root
   certificate you received separately)
--------------------------------------------------------------------------
Tools: unzip, bagit.py (pip install bagit), openssl, poppler-utils (pdfsig),
libnss3-tools (certutil). The expected output is shown under each command.
The steps are the numbered commands in part 二 above:
  1 the bag is complete and every file has its recorded SHA-256 and SHA-512;
  2 the archive signed the tag manifest at export, and a TSA dated it;
  3 a recording's manifest was signed by the archive when it was sealed, and its RFC 3161
    token (an imprint of the signature value) dates the seal;
  4 each segment hashes to the value its sealed manifest lists for that sequence number;
  5 the report's PAdES signature is valid, from the archive, and its last revision (the
    document timestamp) covers the whole file ("Total document signed");
  6 inclusion proofs: for proofs/*.json, hash the "entry" as SHA-256(0x00 || entry) and fold
    "audit_path" as RFC 9162 section 2.1.3.2 says; the result must be the "root" of the signed
    tree head named by "tree_head" (whose head.json is verified like step 3). No standard
    tool does this: aidrec verify does, and the algorithm is 20 lines in any language.
Passing all of them means: every file is as exported; each segment matches its seal and sits
in the transparency log as logged when sealed; a TSA dates the seals and the export; the
report is unchanged since it was signed. `aidrec verify {bag_name}.zip --trust-root ROOT.pem`
runs every check at once (exit 0 when all pass). Always pass the root you received
separately: without --trust-root the package is checked against its own root, which proves
only that it is self-consistent, not who made it (a forger signs with his own root), and
aidrec verify exits 3.
"""


def _commands(bag_name: str, example: str) -> str:
    return f"""
  0) unzip {bag_name}.zip && cd {bag_name}

  1) bagit.py --validate .
       -> ... {bag_name} is valid

  2) openssl cms -verify -binary -inform DER -in {PACKAGE_SIGNATURE} \\
         -content {TAGMANIFEST} -CAfile ROOT.pem -purpose any -out /dev/null
       -> CMS Verification successful (Verification successful)
     openssl ts -verify -data {TAGMANIFEST} -in {PACKAGE_TIMESTAMP} -token_in \\
         -CAfile ROOT.pem
       -> Verification: OK

  3) D={example}/seal
     openssl cms -verify -binary -inform DER -in $D/manifest.p7s \\
         -content $D/manifest.json -CAfile ROOT.pem -purpose any -out /dev/null
       -> CMS Verification successful
     P7S=$D/manifest.p7s; DIGEST=$({SIGNATURE_DIGEST_SH})
     openssl ts -verify -digest "$DIGEST" -in $D/manifest.tsr -token_in -CAfile ROOT.pem
       -> Verification: OK
     (the same for data/log/heads/*/head.* and data/export/export.*)

  4) sha256sum {example}/segments/*
       -> each digest equals "sha256" of the entry with the same "seq" in
          $D/manifest.json ("segments" list; file 000012.ts is seq 12)

  5) mkdir nss && certutil -N -d sql:nss --empty-password
     certutil -A -d sql:nss -n aidrec-root -t "CT,C,C" -i ROOT.pem
     pdfsig -nssdir sql:nss {REPORT}
       -> Signature #1: Signature is Valid. / Certificate is Trusted.
          Signature #2 (the document timestamp): Total document signed
"""
