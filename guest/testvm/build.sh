#!/usr/bin/env bash
# Builds the Linux test guest from Debian packages: the cloud kernel, its
# virtio/FAT modules, busybox-static, openssl and the libraries it needs, and
# our init. Result, in OUTDIR: testvm.raw, a bootable disk (MBR, syslinux, one
# FAT partition labelled ROOT with kernel and initramfs); testvm-uefi.raw, the
# same guest for UEFI with Secure Boot (GPT, its EFI system partition labelled
# ROOT: Debian's signed shim, signed GRUB and the signed kernel, and
# tpm2-tools as a second initramfs, tpm.gz); and vmlinuz/initrd.gz.
# No root needed beyond what apt-get download asks.
#   build.sh OUTDIR PROTOCOL_SH
set -euo pipefail
out=$(realpath -m "$1")
protocol=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/initramfs.sh
. "$here/../lib/initramfs.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

kver=$(debian_kernel linux-image-cloud-amd64 "$work")
kernel_pkg=$(basename "$work"/linux-image-*.deb | cut -d_ -f1)

root=$work/initramfs
initramfs_busybox "$root" busybox/bin/busybox
mkdir -p "$root"/{etc/acpi/PWRF,md,disk}

# The modules the guest needs, each after those it depends on.
# vfat mounts with iocharset ascii and codepage 437 by default in this kernel.
initramfs_modules "$root" "kernel/lib/modules/$kver" \
  virtio_pci virtio_blk virtio_net ata_piix sd_mod vfat nls_cp437 nls_ascii nls_utf8 button evdev efivarfs

# openssl and the libraries it links, from this machine's Debian packages.
initramfs_binary "$root" /usr/bin/openssl

cp "$here/init" "$root/init"
cp "$here/logincheck" "$here/reach" "$here/dhcp-report" "$root/bin/"
cp "$protocol" "$root/etc/protocol.sh"
printf '#!/bin/sh\nsync; umount /disk 2>/dev/null; poweroff -f\n' > "$root/etc/acpi/PWRF/00000080"
# The host agent's accelerator probe boots the kernel with rdinit=/bin/accel-probe.
printf '#!/bin/sh\necho wakame-accel-probe-ok\npoweroff -f\n' > "$root/bin/accel-probe"
chmod +x "$root/init" "$root/bin/logincheck" "$root/bin/reach" "$root/bin/dhcp-report" "$root/etc/acpi/PWRF/00000080" "$root/bin/accel-probe"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > initrd.gz
# tpm2-tools and the TPM device's TCTI (which it opens at run time): only the
# UEFI guest has a TPM, so only its boot loads this second archive.
tpmroot=$work/tpm
mkdir -p "$tpmroot/bin"
initramfs_binary "$tpmroot" /usr/bin/tpm2
mkdir -p "$tpmroot/usr/lib/x86_64-linux-gnu"
cp -L /usr/lib/x86_64-linux-gnu/libtss2-tcti-device.so.0 "$tpmroot/usr/lib/x86_64-linux-gnu/"
for tool in nvdefine nvwrite nvread; do ln -s tpm2 "$tpmroot/bin/tpm2_$tool"; done
(cd "$tpmroot" && find . | cpio -o -H newc --quiet | gzip -9) > tpm.gz
cp "kernel/boot/vmlinuz-$kver" vmlinuz

# The disk: syslinux's MBR code, one bootable FAT partition from 1 MiB.
size_mb=64
truncate -s ${size_mb}M testvm.raw
echo 'start=2048, type=e, bootable' | sfdisk -q testvm.raw
dd if=/usr/lib/syslinux/mbr/mbr.bin of=testvm.raw bs=440 count=1 conv=notrunc status=none
export MTOOLS_SKIP_CHECK=1
part="testvm.raw@@1M"
mformat -i "$part" -v ROOT -T $(((size_mb - 1) * 2048)) -h 64 -s 32 -H 2048 -c 8 ::
printf 'DEFAULT linux\nTIMEOUT 1\nLABEL linux\n  KERNEL vmlinuz\n  INITRD initrd.gz\n  APPEND console=ttyS0 panic=10\n' > syslinux.cfg
mcopy -i "$part" vmlinuz initrd.gz syslinux.cfg ::
syslinux --offset 1048576 --install testvm.raw

# The UEFI disk: GPT, one EFI system partition labelled ROOT from 1 MiB. shim
# (signed by Microsoft's UEFI CA 2011) boots GRUB (signed by Debian) from its
# own folder, which reads EFI/debian/grub.cfg and boots the kernel (signed by
# Debian): the chain a Secure Boot firmware with Microsoft's keys accepts.
truncate -s ${size_mb}M testvm-uefi.raw
echo 'label: gpt
start=2048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B' | sfdisk -q testvm-uefi.raw
mformat -C -i esp.img -v ROOT -T $(((size_mb - 1) * 2048 - 34)) -h 64 -s 32 ::
mmd -i esp.img ::/EFI ::/EFI/BOOT ::/EFI/debian
mcopy -i esp.img /usr/lib/shim/shimx64.efi.signed ::/EFI/BOOT/BOOTX64.EFI
mcopy -i esp.img /usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed ::/EFI/BOOT/grubx64.efi
printf 'set timeout=0\nlinux /vmlinuz console=ttyS0 panic=10\ninitrd /initrd.gz /tpm.gz\nboot\n' > grub.cfg
mcopy -i esp.img grub.cfg ::/EFI/debian/grub.cfg
mcopy -i esp.img vmlinuz initrd.gz tpm.gz ::
dd if=esp.img of=testvm-uefi.raw bs=1M seek=1 conv=notrunc status=none

mkdir -p "$out"
mv testvm.raw testvm-uefi.raw vmlinuz initrd.gz "$out/"
echo "$kernel_pkg" > "$out/kernel-package"
