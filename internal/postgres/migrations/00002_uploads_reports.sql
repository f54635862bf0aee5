-- What upload:process records beyond the first schema: the type the
-- uploaded bytes really had, and whether the client declared another.

-- +goose Up
ALTER TABLE uploads
    ADD COLUMN detected_content_type text,
    ADD COLUMN declared_type_mismatch boolean;
COMMENT ON COLUMN uploads.content_type IS
    'The type of the object now at storage_key: the detected type, except that a WebP is re-encoded as PNG.';
COMMENT ON COLUMN uploads.detected_content_type IS
    'The type sniffed from the uploaded bytes (also on a rejected upload, when detection ran).';
COMMENT ON COLUMN uploads.declared_type_mismatch IS
    'True when declared_content_type names another type than the bytes have (aliases such as image/jpg count as equal); NULL when nothing was declared or the file was refused before detection.';
COMMENT ON COLUMN uploads.size_bytes IS 'Size of the object now at storage_key (an image after re-encoding).';

-- +goose Down
ALTER TABLE uploads
    DROP COLUMN declared_type_mismatch,
    DROP COLUMN detected_content_type;
COMMENT ON COLUMN uploads.content_type IS 'The real type, sniffed from the bytes.';
COMMENT ON COLUMN uploads.size_bytes IS NULL;
