#!/usr/bin/env bash
# Builds a stand-in Windows installation ISO for the image builder's tests
# (Windows cannot be downloaded here). It boots from the CD with Debian's
# generic kernel (floppy driver, the Bochs display with its framebuffer, the
# USB tablet), reads Autounattend.xml from the floppy and refuses a wrong
# edition or product key as setup would, writes an MBR disk with NTFS
# partitions (ntfs-3g's mkntfs and ntfs-3g) holding setup logs, and then
# shows Windows' screens drawn by screens.c: Ctrl+Alt+Del, the password,
# Server Manager to close, the desktop's PowerShell button, PowerShell, where
# a:run-sysprep checks run-sysprep.cmd's product key line, writes sysprep's
# log and powers off. A wrong input on any screen stops it, visibly. The
# keyboard is the answer file's (Japanese JIS for ja-JP, else US), set with
# the Linux console's own keymaps. A floppy holding standin-typing instead
# of Autounattend.xml shows an echoing field, for the typing tests. The installed disk boots the
# Linux test guest (its FAT partition, as entry 3), so a built image follows
# the guest protocol.
# The ISO boots on UEFI too, under Secure Boot with Microsoft's keys (Debian's
# signed shim, GRUB and kernel in its El Torito EFI image), and then asks
# "Press any key to boot from CD or DVD..." as Windows' cdboot.efi does; the
# answer file's GPT layout installs the UEFI test guest's EFI system
# partition as partition 1, the MSR and Windows' NTFS after it. As Windows
# 11 and Server 2025 do, it refuses hardware below their requirements.
#   build.sh OUTDIR TESTVM_RAW TESTVM_UEFI_RAW VERSION KEY
# KEY is the key this "ISO" accepts, or none for an evaluation ISO.
set -euo pipefail
out=$(realpath -m "$1")
testvm=$(realpath "$2")
testvm_uefi=$(realpath "$3")
version=$4
key=$5
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/initramfs.sh
. "$here/../lib/initramfs.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

kver=$(debian_kernel linux-image-amd64 "$work")

root=$work/initramfs
initramfs_busybox "$root" busybox/bin/busybox
mkdir -p "$root"/{a,mnt}
initramfs_modules "$root" "kernel/lib/modules/$kver" \
  floppy virtio_pci virtio_blk vfat nls_cp437 nls_ascii fuse bochs uhci-hcd usbhid hid-generic evdev efivarfs
# The screens program, the console font and the US and JIS keymaps (Debian's
# console-data, compiled by kbd's loadkeys for busybox's loadkmap).
gcc -static -O2 -Wall -o "$root/bin/screens" "$here/screens.c"
(apt-get download -q -o APT::Sandbox::User=root console-data kbd >/dev/null &&
  dpkg-deb -x console-data_*.deb console-data && dpkg-deb -x kbd_*.deb kbd)
gzip -dc console-data/usr/share/consolefonts/default8x16.psf.gz > "$root/etc/font.psf"
mkdir -p "$root/etc/keymaps"
for map in us jp106; do
  kbd/bin/loadkeys -q -b "console-data/usr/share/keymaps/i386/qwerty/$map.kmap.gz" > "$root/etc/keymaps/$map.bmap"
done
for binary in /usr/sbin/sfdisk /usr/sbin/mkntfs /usr/bin/ntfs-3g; do initramfs_binary "$root" "$binary"; done
gzip -1 < "$testvm" > "$root/testvm.raw.gz"
# Windows' partitions go after the test guest's FAT partition, on a 1 MiB boundary.
fat_sectors=$(sfdisk -d "$testvm" | sed -n 's/.*start= *2048, size= *\([0-9]*\).*/\1/p')
[[ -n "$fat_sectors" ]] || { echo "build.sh: $testvm has no partition at 2048" >&2; exit 1; }
boot_start=$(( (2048 + fat_sectors + 2047) / 2048 * 2048 ))
esp_sectors=$(sfdisk -d "$testvm_uefi" | sed -n 's/.*start= *2048, size= *\([0-9]*\).*/\1/p')
[[ -n "$esp_sectors" ]] || { echo "build.sh: $testvm_uefi has no partition at 2048" >&2; exit 1; }
printf 'VERSION=%s\nKEY=%s\nFAT_SECTORS=%s\nBOOT_START=%s\nESP_SECTORS=%s\n' \
  "$version" "$key" "$fat_sectors" "$boot_start" "$esp_sectors" > "$root/etc/installer.conf"
cp "$here/init" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > initrd.gz
# The UEFI test guest's disk, a second initramfs that only the UEFI boot loads.
mkdir -p uefi/uefi
gzip -1 < "$testvm_uefi" > uefi/uefi/testvm-uefi.raw.gz
(cd uefi && find . | cpio -o -H newc --quiet | gzip -1) > uefi.gz

iso=$work/iso
mkdir -p "$iso/isolinux"
cp "kernel/boot/vmlinuz-$kver" "$iso/isolinux/vmlinuz"
mv initrd.gz uefi.gz "$iso/isolinux/"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
printf 'DEFAULT setup\nTIMEOUT 1\nLABEL setup\n  KERNEL vmlinuz\n  INITRD initrd.gz\n  APPEND console=ttyS0 video=1024x768 quiet panic=10\n' > "$iso/isolinux/isolinux.cfg"
# UEFI: the El Torito EFI image holds shim (signed by Microsoft's UEFI CA) and
# GRUB (signed by Debian); GRUB reads EFI/debian/grub.cfg from the CD and boots
# the signed kernel with both initramfs archives.
printf 'set timeout=0\nsearch --no-floppy --set=root --file /isolinux/vmlinuz\nlinux /isolinux/vmlinuz console=ttyS0 video=1024x768 quiet panic=10\ninitrd /isolinux/initrd.gz /isolinux/uefi.gz\nboot\n' > grub.cfg
mkdir -p "$iso/EFI/debian"
cp grub.cfg "$iso/EFI/debian/grub.cfg"
export MTOOLS_SKIP_CHECK=1
mformat -C -i "$iso/efi.img" -T 16384 -h 64 -s 32 ::
mmd -i "$iso/efi.img" ::/EFI ::/EFI/BOOT ::/EFI/debian
mcopy -i "$iso/efi.img" /usr/lib/shim/shimx64.efi.signed ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$iso/efi.img" /usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed ::/EFI/BOOT/grubx64.efi
mcopy -i "$iso/efi.img" grub.cfg ::/EFI/debian/grub.cfg
mkdir -p "$out"
xorriso -as mkisofs -quiet -V "STANDIN_WS$version" -o "$out/installer.iso.partial" \
  -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
  -eltorito-alt-boot -e efi.img -no-emul-boot "$iso"
mv "$out/installer.iso.partial" "$out/installer.iso"
