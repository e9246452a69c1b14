# The mail catcher that stands in for Mailpit when `docker compose up` runs in CI (docker-compose.ci.yml):
# aiosmtpd from Debian, accepting every message on port 1025 and printing it to the container's log.
# Mailpit's image has no Debian, npm or NuGet counterpart; the walkthrough reads mail from the dev mailbox.
FROM auth-service-standin/debian:bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-aiosmtpd \
 && rm -rf /var/lib/apt/lists/*
ENV PYTHONUNBUFFERED=1
USER nobody
EXPOSE 1025
CMD ["python3", "-m", "aiosmtpd", "--nosetuid", "--listen", "0.0.0.0:1025", "--class", "aiosmtpd.handlers.Debugging"]
