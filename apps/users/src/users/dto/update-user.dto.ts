import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { MAX_EMAIL_LENGTH, MAX_NAME_LENGTH, normalizeEmail, trimString } from './user-fields';

/** Body of `PATCH /users/:id`: the fields to change. */
export class UpdateUserDto {
  @IsOptional()
  @Transform(trimString)
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME_LENGTH)
  name?: string;

  @IsOptional()
  @Transform(normalizeEmail)
  @IsString()
  @MaxLength(MAX_EMAIL_LENGTH)
  @IsEmail()
  email?: string;
}
