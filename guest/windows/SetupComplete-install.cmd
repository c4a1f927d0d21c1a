@echo off
REM Runs when setup from the ISO ends. Sysprep cannot run from here: the
REM builder logs in with the answer file's temporary password and runs
REM a:run-sysprep by hand (build steps 6 to 11).
echo wakame-ts: installation finished >> C:\Windows\Setup\Scripts\wakame-install.log
